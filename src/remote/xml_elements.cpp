#include "remote/xml_elements.hpp"

#include <charconv>
#include <cstdint>

namespace remote {

namespace {

// UTF-8 for `code`; false for 0, a surrogate or past U+10FFFF.
bool append_utf8(std::string& out, std::uint32_t code) {
  if (code == 0 || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
  return true;
}

// Appends what the entity `name` (between '&' and ';') stands for; false if it is none.
bool append_entity(std::string& out, std::string_view name) {
  static constexpr std::pair<std::string_view, char> k_named[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (const auto& [entity, c] : k_named) {
    if (name == entity) {
      out += c;
      return true;
    }
  }
  if (name.size() < 2 || name[0] != '#') return false;
  const bool hex = name[1] == 'x' || name[1] == 'X';
  const auto digits = name.substr(hex ? 2 : 1);
  std::uint32_t code = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty()) return false;
  return append_utf8(out, code);
}

} // namespace

std::optional<std::string> xml_element(std::string_view xml, std::string_view tag) {
  const auto raw = xml_raw_elements(xml, tag);
  if (raw.empty()) return std::nullopt;
  const std::string_view text = raw.front();
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto semi = text[i] == '&' ? text.find(';', i) : std::string_view::npos;
    if (semi != std::string_view::npos && append_entity(out, text.substr(i + 1, semi - i - 1))) {
      i = semi;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string_view> xml_raw_elements(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  std::vector<std::string_view> out;
  for (std::size_t at = 0;;) {
    const auto start = xml.find(open, at);
    if (start == std::string_view::npos) break;
    const auto stop = xml.find(close, start + open.size());
    if (stop == std::string_view::npos) break;
    out.push_back(xml.substr(start + open.size(), stop - start - open.size()));
    at = stop + close.size();
  }
  return out;
}

} // namespace remote
