// Caps concurrent upstream requests per host (--max-upstream-per-host).
#pragma once

#include "util/stop_signal.hpp"

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <string>

namespace upstream {

// Safe from any thread.
class HostLimiter {
public:
  explicit HostLimiter(int per_host) : m_per_host(per_host < 1 ? 1 : per_host) {}

  // Holds one of the host's slots until destroyed.
  class Permit {
  public:
    Permit(HostLimiter* limiter, std::string host) : m_limiter(limiter), m_host(std::move(host)) {}
    Permit(Permit&& other) noexcept
        : m_limiter(std::exchange(other.m_limiter, nullptr)), m_host(std::move(other.m_host)) {}
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    Permit& operator=(Permit&&) = delete;
    ~Permit() {
      if (m_limiter) m_limiter->release(m_host);
    }

  private:
    HostLimiter* m_limiter;
    std::string m_host;
  };

  // Waits for a free slot; std::nullopt if `stop` was raised while waiting.
  std::optional<Permit> acquire(const std::string& host, const util::StopSignal& stop);
  // The same, giving up (std::nullopt) once `give_up` says so; asked several times a second.
  std::optional<Permit> acquire(const std::string& host, const std::function<bool()>& give_up);

  int in_use(const std::string& host) const;

private:
  void release(const std::string& host);

  const int m_per_host;
  mutable std::mutex m_mutex;
  std::condition_variable m_freed;
  std::map<std::string, int> m_active;
};

} // namespace upstream
