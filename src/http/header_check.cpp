#include "http/header_check.hpp"

#include <algorithm>
#include <cstring>

namespace http {

bool is_header_name(std::string_view name) {
  static constexpr char k_tchar_symbols[] = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && std::strchr(k_tchar_symbols, c) != nullptr);
  });
}

bool is_header_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
  });
}

} // namespace http
