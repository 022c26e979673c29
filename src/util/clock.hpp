// Wall-clock time as Unix milliseconds, behind an interface so tests can set the time.
#pragma once

#include <cstdint>
#include <string>

namespace util {

using UnixMillis = std::int64_t;

// Safe from any thread.
class Clock {
public:
  virtual ~Clock() = default;
  virtual UnixMillis now() const = 0;
};

class SystemClock final : public Clock {
public:
  UnixMillis now() const override;
  // The process-wide instance; lives forever.
  static const SystemClock& instance();
};

// "2026-11-22T10:04:05Z" (UTC, second precision).
std::string format_iso8601(UnixMillis time);

} // namespace util
