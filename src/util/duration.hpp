// Durations as people write them on a command line: "1s", "500ms", "2m", "1.5s", "120".
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace util {

// A non-negative number with an optional unit (ms, s, m, h; no unit means seconds).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

} // namespace util
