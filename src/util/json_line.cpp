#include "util/json_line.hpp"

#include <cstdio>

namespace util {

namespace {

// The length of the well-formed UTF-8 sequence at the start of `text` (Unicode 15, table
// 3-7), or, when there is none, minus the length of its maximal subpart: the bytes one
// U+FFFD replaces (at least one). So overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates
// (ED A0..BF), code points past U+10FFFF (F4 90.., F5..FF), stray continuation bytes and a
// sequence cut short each become one U+FFFD per maximal subpart, as WHATWG's decoder does.
int utf8_sequence(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  int length = 0;
  unsigned char low = 0x80;   // the range of the second byte
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

} // namespace

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // JSON is UTF-8 (RFC 8259 §8.1): bytes from outside (a URL, a header) that are not
      // are replaced, never passed on to make the whole line unreadable.
      const int length = utf8_sequence(text.substr(i));
      if (length > 0) {
        out.append(text.substr(i, static_cast<std::size_t>(length)));
        i += static_cast<std::size_t>(length);
      } else {
        out.append("\xef\xbf\xbd");  // U+FFFD
        i += static_cast<std::size_t>(-length);
      }
      continue;
    }
    ++i;
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
        out += escaped;
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
  }
  out.push_back('"');
  return out;
}

void JsonLine::key(std::string_view name) {
  if (m_text.size() > 1) m_text.push_back(',');
  m_text.push_back('"');
  m_text.append(name);
  m_text.append("\":");
}

JsonLine& JsonLine::add(std::string_view name, std::string_view value) {
  key(name);
  m_text += json_quote(value);
  return *this;
}

JsonLine& JsonLine::add(std::string_view name, std::int64_t value) {
  key(name);
  m_text += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::add(std::string_view name, std::uint64_t value) {
  key(name);
  m_text += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::add(std::string_view name, double value) {
  key(name);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", value);
  m_text += buffer;
  return *this;
}

JsonLine& JsonLine::add(std::string_view name, bool value) {
  key(name);
  m_text += value ? "true" : "false";
  return *this;
}

JsonLine& JsonLine::add_null(std::string_view name) {
  key(name);
  m_text += "null";
  return *this;
}

} // namespace util
