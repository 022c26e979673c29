// One call per key at a time: a caller asking for a key whose call is under way waits for
// that call's result instead of making its own (Go's x/sync/singleflight).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace util {

// Safe from any thread. T is copied to every caller that waited for it.
template <typename T> class SingleFlight {
public:
  // `on_join` runs (under a lock: keep it short) each time a caller joins a call under way.
  explicit SingleFlight(std::function<void()> on_join = {}) : m_on_join(std::move(on_join)) {}

  // Returns `call()`, or the result of the call for `key` already under way. The key is free
  // again once its call returns: a later caller makes a call of its own, so what must outlive
  // a call (a cache) is the call's to keep. A call that throws hands the key to one of its
  // waiters, which calls again.
  template <typename Call> T run(const std::string& key, Call&& call) {
    std::unique_lock lock(m_mutex);
    for (;;) {
      auto it = m_flights.find(key);
      if (it == m_flights.end()) break;
      const auto flight = it->second;
      if (m_on_join) m_on_join();
      m_landed.wait(lock, [&] { return flight->done; });
      if (flight->result) return *flight->result;
    }
    const auto flight = std::make_shared<Flight>();
    m_flights.emplace(key, flight);
    lock.unlock();
    // Lands the flight however the call ends, so that no waiter waits for ever.
    struct Landing {
      SingleFlight& owner;
      const std::string& key;
      Flight& flight;
      ~Landing() {
        {
          std::lock_guard lock(owner.m_mutex);
          flight.done = true;
          owner.m_flights.erase(key);
        }
        owner.m_landed.notify_all();
      }
    } landing{*this, key, *flight};
    T result = call();
    flight->result.emplace(result);
    return result;
  }

private:
  struct Flight {
    bool done = false;
    std::optional<T> result; // none: the call threw
  };

  const std::function<void()> m_on_join;
  std::mutex m_mutex;
  std::condition_variable m_landed;
  std::map<std::string, std::shared_ptr<Flight>> m_flights;
};

} // namespace util
