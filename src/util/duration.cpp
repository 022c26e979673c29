#include "util/duration.hpp"

#include <cctype>
#include <string>

namespace util {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::size_t i = 0;
  bool dot = false;
  std::size_t digits = 0;
  while (i < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[i])) || (text[i] == '.' && !dot))) {
    if (text[i] == '.') {
      dot = true;
    } else {
      ++digits;
    }
    ++i;
  }
  if (digits == 0 || digits > 12) return std::nullopt;
  const double number = std::stod(std::string(text.substr(0, i)));
  const auto unit = text.substr(i);
  double ms;
  if (unit.empty() || unit == "s") {
    ms = number * 1000.0;
  } else if (unit == "ms") {
    ms = number;
  } else if (unit == "m") {
    ms = number * 60'000.0;
  } else if (unit == "h") {
    ms = number * 3'600'000.0;
  } else {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

} // namespace util
