#include "util/json_line.hpp"

#include "util/utf8.hpp"

#include <cstdio>

namespace util {

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // JSON is UTF-8 (RFC 8259 §8.1): bytes from outside (a URL, a header) that are not
      // are replaced, never passed on to make the whole line unreadable.
      const int length = utf8_sequence_length(text.substr(i));
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
