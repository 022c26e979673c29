// A stop request shared by threads: long waits end early when it is raised.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace util {

// Safe from any thread.
class StopSignal {
public:
  void request_stop() {
    {
      std::lock_guard lock(m_mutex);
      m_stopped = true;
    }
    m_changed.notify_all();
  }
  bool stopped() const {
    std::lock_guard lock(m_mutex);
    return m_stopped;
  }
  // Sleeps for `duration`; false if a stop was requested meanwhile (or before).
  bool sleep_for(std::chrono::milliseconds duration) {
    std::unique_lock lock(m_mutex);
    return !m_changed.wait_for(lock, duration, [this] { return m_stopped; });
  }

private:
  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  bool m_stopped = false;
};

} // namespace util
