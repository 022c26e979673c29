// Builds one flat JSON object as text, fast: for log lines written per request, where a
// nlohmann::json tree per line cost more than serving a small hit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace util {

// Appends "key": value pairs in order; str() closes the object. Keys are written as given
// (callers pass literals); string values are escaped (see json_quote). Never throws but
// std::bad_alloc.
class JsonLine {
public:
  JsonLine& add(std::string_view key, std::string_view value);
  JsonLine& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  JsonLine& add(std::string_view key, std::int64_t value);
  JsonLine& add(std::string_view key, std::uint64_t value);
  JsonLine& add(std::string_view key, int value) { return add(key, static_cast<std::int64_t>(value)); }
  JsonLine& add(std::string_view key, double value);
  JsonLine& add(std::string_view key, bool value);
  JsonLine& add_null(std::string_view key);
  template <typename T> JsonLine& add(std::string_view key, const std::optional<T>& value) {
    return value ? add(key, *value) : add_null(key);
  }
  std::string str() const { return m_text + "}"; }

private:
  void key(std::string_view name);
  std::string m_text = "{";
};

// `text` as a JSON string literal, quotes included: always valid JSON, whatever `text` holds.
// Control characters are escaped; valid UTF-8 passes through; each invalid UTF-8 sequence
// (a bad lead or continuation byte, an overlong form, a surrogate, a code point past
// U+10FFFF, a sequence cut short) becomes one U+FFFD per maximal subpart (Unicode §3.9).
std::string json_quote(std::string_view text);

} // namespace util
