#include "cache/in_flight.hpp"

namespace cache {

// A resumable writer may start with bytes from an earlier, interrupted fetch.
InFlight::InFlight(std::string key, store::BlobWriter writer, util::UniqueFd read_fd)
    : m_key(std::move(key)), m_writer(std::move(writer)), m_read_fd(std::move(read_fd)),
      m_received(m_writer.size()) {}

// Before the head: no client reads the body yet, so emptying the file is safe.
util::Result<void> InFlight::restart() {
  std::lock_guard lock(m_mutex);
  if (m_head) return util::fail(util::Errc::invalid_argument, "the body is already being served");
  if (auto r = m_writer.restart(); !r) return r;
  m_received = 0;
  m_woken_at_bytes = 0;
  return {};
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
  if (auto r = m_writer.write(bytes); !r) return r;
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

void InFlight::finish(std::optional<store::BlobReader> pinned, std::int64_t upstream_ms) {
  std::vector<std::function<void()>> wakes;
  std::vector<std::function<void(bool)>> ended;
  {
    std::lock_guard lock(m_mutex);
    m_complete = true;
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
  {
    std::lock_guard lock(m_mutex);
    m_error = error;
    waiters.swap(m_head_waiters);
    notify_locked(wakes);
  }
  std::vector<std::function<void(bool)>> ended;
  {
    std::lock_guard lock(m_mutex);
    ended.swap(m_end_waiters);
  }
  m_writer.abort();
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

InFlight::State InFlight::state() const {
  std::lock_guard lock(m_mutex);
  return state_locked();
}

void InFlight::notify_locked(std::vector<std::function<void()>>& out) {
  const State now = state_locked();
  for (auto it = m_watchers.begin(); it != m_watchers.end();) {
    if (!(it->first == now)) {
      out.push_back(std::move(it->second));
      it = m_watchers.erase(it);
    } else {
      ++it;
    }
  }
}

void InFlight::when_changed(const State& seen, std::function<void()> wake) {
  {
    std::lock_guard lock(m_mutex);
    if (state_locked() == seen) {
      m_watchers.emplace_back(seen, std::move(wake));
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
