#include "remote/credential_provider.hpp"

#include <algorithm>

namespace remote {

CredentialProvider::CredentialProvider(std::string source, Fetch fetch, const util::Clock& clock,
                                       std::optional<AwsCredentials> initial)
    : m_initial_source(std::move(source)), m_fetch(std::move(fetch)), m_clock(clock),
      m_credentials(std::move(initial)), m_fetched_at(clock.now()) {}

std::shared_ptr<CredentialProvider> CredentialProvider::fixed(AwsCredentials credentials) {
  auto source = credentials.source;
  auto keys = credentials;
  return std::make_shared<CredentialProvider>(
      std::move(source), [keys] { return util::Result<AwsCredentials>(keys); },
      util::SystemClock::instance(), std::move(credentials));
}

bool CredentialProvider::usable(util::UnixMillis now) const {
  return m_credentials && (!m_credentials->expiration || now < *m_credentials->expiration);
}

bool CredentialProvider::fresh(util::UnixMillis now) const {
  if (!m_credentials) return false;
  if (!m_credentials->expiration) return true;
  const util::UnixMillis expires = *m_credentials->expiration;
  // The SDKs renew 5 minutes early; a short-lived session (a test's, or a 15-minute STS
  // minimum with a slow clock) at half its life, so it is renewed before it ends, not at each call.
  const util::UnixMillis ahead =
      std::min(k_refresh_ahead, std::max<util::UnixMillis>(0, expires - m_fetched_at) / 2);
  return now < expires - ahead;
}

util::Error CredentialProvider::failure(const util::Error& error) const {
  return util::with_context(
      error, "credentials (" + (m_credentials ? m_credentials->source : m_initial_source) + ")");
}

util::Result<AwsCredentials> CredentialProvider::current() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    const util::UnixMillis now = m_clock.now();
    if (fresh(now)) return *m_credentials;
    if (m_fetching) {
      if (usable(now)) return *m_credentials; // the fetch in flight renews them
      const auto generation = m_generation;
      m_fetched.wait(lock, [&] { return m_generation != generation; });
      if (usable(m_clock.now())) return *m_credentials;
      if (m_last_error) return tl::unexpected(failure(*m_last_error));
      continue;
    }
    if (usable(now) && now < m_next_try) return *m_credentials; // renewing failed a moment ago

    m_fetching = true;
    lock.unlock();
    auto fetched = m_fetch();
    if (fetched) {
      if (auto checked = check_key_text(*fetched); !checked) fetched = tl::unexpected(checked.error());
    }
    const util::UnixMillis at = m_clock.now();
    if (fetched && fetched->expiration && *fetched->expiration <= at) {
      fetched =
          util::fail(util::Errc::upstream_status,
                     "the credentials " + fetched->source + " gave have expired at " +
                         util::format_iso8601(*fetched->expiration) + " (is the clock right?)");
    }
    lock.lock();
    m_fetching = false;
    ++m_generation;
    if (fetched) {
      m_credentials = std::move(*fetched);
      m_fetched_at = at;
      m_last_error.reset();
      ++m_fetches;
    } else {
      m_last_error = fetched.error();
      m_next_try = at + k_retry_after_failure;
    }
    m_fetched.notify_all();
    if (usable(at)) return *m_credentials;
    return tl::unexpected(failure(*m_last_error));
  }
}

std::optional<AwsCredentials> CredentialProvider::last() const {
  std::lock_guard lock(m_mutex);
  return m_credentials;
}

std::string CredentialProvider::source() const {
  std::lock_guard lock(m_mutex);
  return m_credentials ? m_credentials->source : m_initial_source;
}

std::uint64_t CredentialProvider::fetches() const {
  std::lock_guard lock(m_mutex);
  return m_fetches;
}

} // namespace remote
