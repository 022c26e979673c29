#include "util/utf8.hpp"

#include <algorithm>
#include <cstdio>

namespace util {

int utf8_sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  int length = 0;
  unsigned char low = 0x80;  // the range of the second byte
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // past U+10FFFF
  } else {
    return -1;  // a continuation byte, C0, C1 or F5..FF: never a lead
  }
  for (int i = 1; i < length; ++i) {
    if (static_cast<std::size_t>(i) >= text.size()) return -i;
    const unsigned char c = byte(static_cast<std::size_t>(i));
    if (i == 1 ? (c < low || c > high) : (c < 0x80 || c > 0xbf)) return -i;
  }
  return length;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t at = 0; at < text.size();) {
    const int length = utf8_sequence_length(text.substr(at));
    if (length < 0) return false;
    at += static_cast<std::size_t>(length);
  }
  return true;
}

std::string to_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const int length = utf8_sequence_length(text.substr(at));
    if (length > 0) {
      out.append(text.substr(at, static_cast<std::size_t>(length)));
      at += static_cast<std::size_t>(length);
    } else {
      out += "\xef\xbf\xbd";  // U+FFFD
      at += static_cast<std::size_t>(-length);
    }
  }
  return out;
}

std::string printable(std::string_view text, std::size_t limit) {
  const bool cut = text.size() > limit;
  const std::string valid = to_valid_utf8(text.substr(0, std::min(limit, text.size())));
  std::string out;
  out.reserve(valid.size());
  for (unsigned char c : valid) {
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return cut ? out + "..." : out;
}

} // namespace util
