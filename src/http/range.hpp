// The Range request header (RFC 9110 §14.2), single ranges only, as clients of the Hub send
// them: "bytes=a-b", "bytes=a-", "bytes=-n".
#pragma once

#include <cstdint>
#include <string_view>

namespace http {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  std::uint64_t length() const { return last - first + 1; }
};

enum class RangeKind {
  none,           // no header, or one we ignore (multiple ranges, other units, garbage): 200
  satisfiable,    // 206 with Content-Range
  unsatisfiable,  // 416 with "Content-Range: bytes */size"
};

struct RangeRequest {
  RangeKind kind = RangeKind::none;
  ByteRange range;
};

// Interprets `header` for a body of `size` bytes. A range running past the end is clipped.
RangeRequest parse_range(std::string_view header, std::uint64_t size);

} // namespace http
