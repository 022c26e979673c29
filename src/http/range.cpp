#include "http/range.hpp"

#include <optional>

namespace http {

namespace {

std::optional<std::uint64_t> number(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

struct Spec {
  std::optional<std::uint64_t> first;
  std::optional<std::uint64_t> last;  // for a suffix range: the suffix length
  bool suffix = false;
};

std::optional<Spec> parse_spec(std::string_view header) {
  header = trim(header);
  if (header.rfind("bytes=", 0) != 0) return std::nullopt;
  std::string_view spec = trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return std::nullopt;  // several ranges: ignore
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto left = trim(spec.substr(0, dash));
  const auto right = trim(spec.substr(dash + 1));
  Spec out;
  if (left.empty()) {
    out.suffix = true;
    out.last = number(right);
    if (!out.last) return std::nullopt;
    return out;
  }
  out.first = number(left);
  if (!out.first) return std::nullopt;
  if (!right.empty()) {
    out.last = number(right);
    if (!out.last || *out.last < *out.first) return std::nullopt;
  }
  return out;
}

} // namespace

RangeRequest parse_range(std::string_view header, std::uint64_t size) {
  RangeRequest out;
  const auto spec = parse_spec(header);
  if (!spec) return out;
  if (spec->suffix) {
    if (*spec->last == 0 || size == 0) {
      out.kind = RangeKind::unsatisfiable;
      return out;
    }
    const auto n = std::min(*spec->last, size);
    out.kind = RangeKind::satisfiable;
    out.range = {size - n, size - 1};
    return out;
  }
  if (*spec->first >= size) {
    out.kind = RangeKind::unsatisfiable;
    return out;
  }
  out.kind = RangeKind::satisfiable;
  out.range = {*spec->first, std::min(spec->last.value_or(size - 1), size - 1)};
  return out;
}

} // namespace http
