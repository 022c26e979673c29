// Named counters and gauges, rendered as Prometheus text or JSON. Generic: the names and
// labels are the caller's.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace util {

// A monotonically increasing count. Safe from any thread; lives as long as its registry.
class Counter {
public:
  void add(std::uint64_t n = 1) { m_value.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return m_value.load(std::memory_order_relaxed); }

private:
  std::atomic<std::uint64_t> m_value{0};
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// Safe from any thread. counter() returns the same Counter for the same name and labels, so
// callers may keep the reference.
class Metrics {
public:
  // `help` is recorded the first time a name is seen.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  // A value computed when rendered (store bytes, entries, ...).
  void gauge(const std::string& name, const std::string& help,
             std::function<double()> read);

  // Prometheus text exposition format, version 0.0.4.
  std::string prometheus() const;
  // {"name": value} for unlabelled series, {"name": {"label=value,...": value}} otherwise.
  std::string json() const;
  // The value of one series; 0 if it was never created.
  std::uint64_t value(const std::string& name, const Labels& labels = {}) const;

private:
  struct Family {
    std::string help;
    std::string type;  // "counter" or "gauge"
    std::map<Labels, std::unique_ptr<Counter>> series;
    std::function<double()> gauge;
  };
  mutable std::mutex m_mutex;
  std::map<std::string, Family> m_families;
};

} // namespace util
