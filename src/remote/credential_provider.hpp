// Credentials that stay valid in a process that runs for days: current() hands out the
// credentials of one source, fetching new ones before the old expire, as the AWS SDKs'
// refreshing providers do.
#pragma once

#include "remote/aws_credentials.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace remote {

// Safe from any thread. One fetch at a time: while it runs, the other callers get the
// credentials still valid, or wait for it if there are none. Credentials with an expiration
// are fetched again once less than min(5 minutes, half their lifetime) remains, so a 12-hour
// session is renewed 5 minutes early and a test's 20-second one after 10 seconds. A failed
// fetch while the old credentials still work keeps them (asked again after 5 s); once they
// have expired the fetch's error is returned, prefixed "credentials (SOURCE)". Credentials
// already expired when fetched are an error. The clock must outlive the provider.
class CredentialProvider {
public:
  using Fetch = std::function<util::Result<AwsCredentials>()>;

  static constexpr util::UnixMillis k_refresh_ahead = 5 * 60 * 1000;
  static constexpr util::UnixMillis k_retry_after_failure = 5 * 1000;

  // `source`: what `fetch` asks, for messages until the first fetch names it better ("web
  // identity role arn:…", "instance profile"). `initial`: credentials already fetched.
  CredentialProvider(std::string source, Fetch fetch,
                     const util::Clock& clock = util::SystemClock::instance(),
                     std::optional<AwsCredentials> initial = std::nullopt);

  // Credentials that never change (the environment, a profile, anonymous): no fetch.
  static std::shared_ptr<CredentialProvider> fixed(AwsCredentials credentials);

  // Valid credentials, fetching them first if needed.
  util::Result<AwsCredentials> current();

  // The credentials last handed out, valid or not; nullopt before the first fetch. For a
  // request that cannot carry an error (S3Client::fetch_request); current() before it.
  std::optional<AwsCredentials> last() const;

  // Where the credentials come from, for messages.
  std::string source() const;
  // How many fetches succeeded (for tests and logs).
  std::uint64_t fetches() const;

private:
  bool fresh(util::UnixMillis now) const;  // valid and not yet due for a refresh
  bool usable(util::UnixMillis now) const; // valid
  util::Error failure(const util::Error& error) const;

  const std::string m_initial_source;
  const Fetch m_fetch;
  const util::Clock& m_clock;

  mutable std::mutex m_mutex;
  std::condition_variable m_fetched;
  std::optional<AwsCredentials> m_credentials;
  util::UnixMillis m_fetched_at = 0;
  bool m_fetching = false;
  std::uint64_t m_generation = 0; // bumped when a fetch ends
  std::optional<util::Error> m_last_error;
  util::UnixMillis m_next_try = 0; // after a failure while the old credentials still work
  std::uint64_t m_fetches = 0;
};

} // namespace remote
