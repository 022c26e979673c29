#include "util/size.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

namespace util {

namespace {

std::optional<double> unit_multiplier(std::string unit) {
  for (char& c : unit)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (unit.empty()) return 1.0;
  static constexpr std::string_view k_prefixes = "kmgt";
  const auto pos = k_prefixes.find(unit[0]);
  if (pos == std::string_view::npos) return std::nullopt;
  const int power = static_cast<int>(pos) + 1;
  if (unit.size() == 1) return std::pow(1000.0, power);
  if (unit.size() == 2 && unit[1] == 'i') return std::pow(1024.0, power);
  return std::nullopt;
}

} // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::size_t i = 0;
  std::size_t digits = 0;
  bool seen_dot = false;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) || (text[i] == '.' && !seen_dot))) {
    if (text[i] == '.') {
      seen_dot = true;
    } else {
      ++digits;
    }
    ++i;
  }
  if (digits == 0) return std::nullopt;
  const double number = std::stod(std::string(text.substr(0, i)));
  std::size_t unit_start = i;
  while (unit_start < text.size() && text[unit_start] == ' ')
    ++unit_start;
  const auto multiplier = unit_multiplier(std::string(text.substr(unit_start)));
  if (!multiplier) return std::nullopt;
  const double bytes = std::round(number * *multiplier);
  // A fractional byte count ("1.5" with no unit) is a typo, not a size.
  if (*multiplier == 1.0 && bytes != number) return std::nullopt;
  if (bytes >= 18446744073709551616.0) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::string format_size(std::uint64_t bytes) {
  static constexpr const char* k_units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  if (bytes < 1000) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1000.0;
  std::size_t unit = 0;
  while (value >= 999.95 && unit + 1 < std::size(k_units)) {
    value /= 1000.0;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f %s", value, k_units[unit]);
  return buffer;
}

} // namespace util
