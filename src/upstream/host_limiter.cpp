#include "upstream/host_limiter.hpp"

namespace upstream {

std::optional<HostLimiter::Permit> HostLimiter::acquire(const std::string& host,
                                                        const util::StopSignal& stop) {
  return acquire(host, [&stop] { return stop.stopped(); });
}

std::optional<HostLimiter::Permit> HostLimiter::acquire(const std::string& host,
                                                        const std::function<bool()>& give_up) {
  std::unique_lock lock(m_mutex);
  // A short wait step so a raised stop is seen without wiring the two condition variables.
  while (m_active[host] >= m_per_host) {
    lock.unlock();
    const bool giving_up = give_up();  // may take locks of its own
    lock.lock();
    if (giving_up) {
      if (m_active[host] == 0) m_active.erase(host);
      return std::nullopt;
    }
    if (m_active[host] < m_per_host) break;
    m_freed.wait_for(lock, std::chrono::milliseconds(100));
  }
  ++m_active[host];
  return Permit(this, host);
}

int HostLimiter::in_use(const std::string& host) const {
  std::lock_guard lock(m_mutex);
  const auto it = m_active.find(host);
  return it == m_active.end() ? 0 : it->second;
}

void HostLimiter::release(const std::string& host) {
  {
    std::lock_guard lock(m_mutex);
    if (--m_active[host] == 0) m_active.erase(host);
  }
  m_freed.notify_all();
}

} // namespace upstream
