#include "upstream/host_limiter.hpp"

namespace upstream {

std::optional<HostLimiter::Permit> HostLimiter::acquire(const std::string& host,
                                                        const util::StopSignal& stop) {
  std::unique_lock lock(m_mutex);
  // A short wait step so a raised stop is seen without wiring the two condition variables.
  while (m_active[host] >= m_per_host) {
    if (stop.stopped()) return std::nullopt;
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
