#include "cache/in_flight.hpp"

namespace cache {

InFlight::InFlight(std::string key, Keep keep, std::chrono::milliseconds linger)
    : m_key(std::move(key)), m_keep(keep), m_linger(linger) {}

// A resumable writer may start with bytes from an earlier, interrupted fetch.
void InFlight::begin(store::BlobWriter writer, util::UniqueFd read_fd,
                     std::optional<util::Sha256> resumed_for) {
  std::lock_guard lock(m_mutex);
  m_received = writer.size();
  m_woken_at_bytes = m_received;
  m_writer.emplace(std::move(writer));
  m_read_fd = std::move(read_fd);
  m_resumed_for = std::move(resumed_for);
}

// Before the head: no client reads the body yet, so emptying the file is safe.
util::Result<void> InFlight::restart() {
  std::lock_guard lock(m_mutex);
  if (m_head) return util::fail(util::Errc::invalid_argument, "the body is already being served");
  if (!m_writer) return util::fail(util::Errc::invalid_argument, "the fetch has not begun");
  if (auto r = m_writer->restart(); !r) return r;
  m_received = 0;
  m_woken_at_bytes = 0;
  m_resumed_for.reset();  // the bytes from before are gone: only this fetch's remain
  return {};
}

std::optional<std::uint64_t>
InFlight::add_interest(std::shared_ptr<const http::ClientPresence> presence,
                       const std::optional<util::Sha256>& expected) {
  std::lock_guard lock(m_mutex);
  if (m_cancelled) return std::nullopt;
  const auto id = m_next_interest++;
  m_interests.emplace(id, std::move(presence));
  if (expected) m_expectations.push_back(*expected);
  m_unwanted_since.reset();
  return id;
}

void InFlight::drop_interest(std::uint64_t id) {
  std::lock_guard lock(m_mutex);
  m_interests.erase(id);
}

// Asked by the fetcher at least once a second. A client that is gone no longer counts; a
// fetch whose head went out lingers a little (k_linger) before it is given up.
bool InFlight::cancelled() {
  std::lock_guard lock(m_mutex);
  if (m_cancelled) return true;
  if (m_keep == Keep::until_done || m_complete || m_error) return false;
  for (const auto& [id, presence] : m_interests) {
    if (!presence || !presence->gone()) {
      m_unwanted_since.reset();
      return false;
    }
  }
  const auto now = std::chrono::steady_clock::now();
  if (!m_unwanted_since) m_unwanted_since = now;
  if (m_head && now - *m_unwanted_since < m_linger) return false;
  m_cancelled = true;
  return true;
}

// Callbacks run outside the lock: they may call back into this object.
void InFlight::wait_for_head(HeadWaiter ready) {
  std::optional<upstream::ResponseHead> head;
  std::optional<util::Error> error;
  {
    std::lock_guard lock(m_mutex);
    if (!m_head && !m_error) {
      m_head_waiters.push_back(std::move(ready));
      return;
    }
    head = m_head;
    error = m_error;
  }
  ready(head ? &*head : nullptr, head ? nullptr : &*error);
}

void InFlight::wait_for_end(std::function<void(bool)> ended) {
  bool whole;
  {
    std::lock_guard lock(m_mutex);
    if (!m_complete && !m_error) {
      m_end_waiters.push_back(std::move(ended));
      return;
    }
    whole = m_complete;
  }
  ended(whole);
}

std::optional<upstream::ResponseHead> InFlight::head() const {
  std::lock_guard lock(m_mutex);
  return m_head;
}

std::uint64_t InFlight::received() const {
  std::lock_guard lock(m_mutex);
  return m_received;
}

void InFlight::on_head(const upstream::ResponseHead& head) {
  // The fetching thread's, as on_body(): the writer allocates the body's blocks ahead.
  if (m_writer && head.content_length) m_writer->expect_total(*head.content_length);
  std::vector<HeadWaiter> waiters;
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(m_mutex);
    m_head = head;
    waiters.swap(m_head_waiters);
    notify_locked(wakes);
  }
  for (auto& waiter : waiters) waiter(&head, nullptr);
  for (auto& wake : wakes) wake();
}

namespace {
constexpr std::uint64_t k_wake_bytes = 256 * 1024;
constexpr auto k_wake_interval = std::chrono::milliseconds(2);
} // namespace

util::Result<void> InFlight::on_body(std::span<const std::uint8_t> bytes) {
  // Only the fetching thread writes, and m_writer is set before the fetch starts.
  if (auto r = m_writer->write(bytes); !r) return r;
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(m_mutex);
    m_received += bytes.size();
    // Wake followers once 256 KiB more arrived, or 2 ms after the last wake: a slow
    // trickle still flows at once, a fast body in large steps. finish() and fail() always
    // wake, so no byte waits for a chunk that never comes.
    const auto now = std::chrono::steady_clock::now();
    if (m_received - m_woken_at_bytes >= k_wake_bytes || now - m_woken_at >= k_wake_interval) {
      m_woken_at_bytes = m_received;
      m_woken_at = now;
      notify_locked(wakes);
    }
  }
  for (auto& wake : wakes) wake();
  return {};
}

// The partial file's digest joins the upstream's claims: its first bytes came from a fetch
// of another time (perhaps of another URL that a client said had this digest), so a body
// that does not hash to it is refused as a whole, for every client.
util::Result<store::BlobReader> InFlight::commit(store::BlobExpectation claims) {
  std::optional<util::Sha256> resumed_for;
  {
    std::lock_guard lock(m_mutex);
    resumed_for = m_resumed_for;
  }
  if (resumed_for) {
    if (claims.sha256 && *claims.sha256 != *resumed_for) {
      m_writer->discard();
      return util::fail(util::Errc::corrupt, "the partial body kept for sha256 " +
                                                 resumed_for->hex() + " cannot be " +
                                                 claims.sha256->hex());
    }
    claims.sha256 = resumed_for;
  }
  return m_writer->commit(claims);
}

bool InFlight::expectation_violated(const util::Sha256& digest) const {
  std::lock_guard lock(m_mutex);
  for (const auto& expected : m_expectations) {
    if (expected != digest) return true;
  }
  return false;
}

void InFlight::finish(std::optional<store::BlobReader> pinned, std::int64_t upstream_ms,
                      Expectations expectations) {
  std::vector<std::function<void()>> wakes;
  std::vector<std::function<void(bool)>> ended;
  {
    std::lock_guard lock(m_mutex);
    if (m_complete || m_error) return;
    m_complete = true;
    if (pinned && expectations == Expectations::apply) m_checked_digest = pinned->digest();
    m_pinned = std::move(pinned);
    m_upstream_ms = upstream_ms;
    notify_locked(wakes);
    ended.swap(m_end_waiters);
  }
  for (auto& wake : wakes) wake();
  for (auto& end : ended) end(true);
}

void InFlight::fail(const util::Error& error) {
  std::vector<HeadWaiter> waiters;
  std::vector<std::function<void()>> wakes;
  std::vector<std::function<void(bool)>> ended;
  {
    std::lock_guard lock(m_mutex);
    if (m_complete || m_error) return;
    m_error = error;
    waiters.swap(m_head_waiters);
    notify_locked(wakes);
    ended.swap(m_end_waiters);
    if (m_writer) m_writer->abort();
  }
  for (auto& waiter : waiters) waiter(nullptr, &error);
  for (auto& wake : wakes) wake();
  for (auto& end : ended) end(false);
}

InFlight::State InFlight::state_locked() const {
  State state;
  state.complete = m_complete;
  state.failed = m_error.has_value();
  state.available = m_complete ? m_received : (m_received > 0 ? m_received - 1 : 0);
  if (m_head) state.total = m_head->content_length;
  return state;
}

// A client whose expectation the finished body violates never gets its last byte: its
// state turns failed where everyone else's turns complete, and the server aborts it.
InFlight::State InFlight::state_locked(const std::optional<util::Sha256>& expected) const {
  State state = state_locked();
  if (expected && m_complete && m_checked_digest && *m_checked_digest != *expected) {
    state.complete = false;
    state.failed = true;
    state.available = m_received > 0 ? m_received - 1 : 0;
  }
  return state;
}

InFlight::State InFlight::state(const std::optional<util::Sha256>& expected) const {
  std::lock_guard lock(m_mutex);
  return state_locked(expected);
}

int InFlight::fd() const {
  std::lock_guard lock(m_mutex);
  return m_read_fd.get();
}

void InFlight::notify_locked(std::vector<std::function<void()>>& out) {
  for (auto it = m_watchers.begin(); it != m_watchers.end();) {
    if (!(state_locked(it->expected) == it->seen)) {
      out.push_back(std::move(it->wake));
      it = m_watchers.erase(it);
    } else {
      ++it;
    }
  }
}

void InFlight::when_changed(const State& seen, const std::optional<util::Sha256>& expected,
                            std::function<void()> wake) {
  {
    std::lock_guard lock(m_mutex);
    if (state_locked(expected) == seen) {
      m_watchers.push_back({seen, expected, std::move(wake)});
      return;
    }
  }
  wake();
}

std::optional<std::int64_t> InFlight::upstream_ms() const {
  std::lock_guard lock(m_mutex);
  return m_upstream_ms;
}

} // namespace cache
