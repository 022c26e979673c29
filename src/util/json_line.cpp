#include "util/json_line.hpp"

#include <cstdio>

namespace util {

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (unsigned char c : text) {
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
        out.push_back(static_cast<char>(c));  // UTF-8 passes through; invalid bytes too
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
