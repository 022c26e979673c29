// libFuzzer target: the Range request header (http::parse_range) for bodies of 0, 1, 1000 and
// 2^64-1 bytes. A satisfiable range lies inside the body and reads back as itself; whether
// the header is one hubcache honours does not depend on the size.
#include "http/range.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  std::optional<bool> honoured;
  for (const std::uint64_t body : {0ull, 1ull, 1000ull, ~0ull}) {
    const auto request = http::parse_range(header, body);
    const bool is_none = request.kind == http::RangeKind::none;
    if (!honoured) honoured = !is_none;
    check(*honoured == !is_none);
    if (request.kind != http::RangeKind::satisfiable) continue;
    const auto& range = request.range;
    check(body > 0);
    check(range.first <= range.last && range.last < body);
    check(range.length() >= 1 && range.length() <= body);
    // What hubcache would put in Content-Range, asked for again, is the same range (numbers
    // of up to 19 digits: a bigger one is ignored, which RFC 9110 allows).
    if (range.last > 9'999'999'999'999'999'999ull) continue;
    const auto again = http::parse_range(
        "bytes=" + std::to_string(range.first) + "-" + std::to_string(range.last), body);
    check(again.kind == http::RangeKind::satisfiable && again.range.first == range.first &&
          again.range.last == range.last);
  }
  return 0;
}
