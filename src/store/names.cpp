#include "store/names.hpp"

#include "util/hex.hpp"
#include "util/utf8.hpp"

#include <algorithm>
#include <cstdint>

namespace store {

namespace {

bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Calls `part` for each '/'-separated part of `text`; false as soon as one returns false.
template <typename Visit> bool each_part(std::string_view text, Visit part) {
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find('/', start);
    if (!part(text.substr(start, end == std::string_view::npos ? end : end - start))) return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

bool repo_id_part(std::string_view part) {
  if (part.empty() || part.size() > 96) return false;
  if (!is_word(part.front()) || !is_word(part.back())) return false;
  return std::all_of(part.begin(), part.end(),
                     [](char c) { return is_word(c) || c == '-' || c == '.'; });
}

} // namespace

bool CommitRule::valid(std::string_view text) { return util::is_lower_hex(text, 40); }

bool RepoIdRule::valid(std::string_view text) {
  const auto slash = text.find('/');
  if (slash != std::string_view::npos && text.find('/', slash + 1) != std::string_view::npos) {
    return false;
  }
  if (text.find("--") != std::string_view::npos || text.find("..") != std::string_view::npos) {
    return false;
  }
  return each_part(text, repo_id_part);
}

bool RepoPathRule::valid(std::string_view text) {
  if (text.empty() || text.size() > 4096 || !util::is_valid_utf8(text)) return false;
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return is_control(static_cast<unsigned char>(c)); })) {
    return false;
  }
  return each_part(text, [](std::string_view part) {
    return !part.empty() && part.size() <= 255 && part != "." && part != "..";
  });
}

bool RevisionRule::valid(std::string_view text) {
  if (text.empty() || text.size() > 255 || !util::is_valid_utf8(text)) return false;
  for (char c : text) {
    if (is_control(static_cast<unsigned char>(c))) return false;
    if (c == ' ' || c == '~' || c == '^' || c == ':' || c == '?' || c == '*' || c == '[' ||
        c == '\\') {
      return false;
    }
  }
  if (text.find("..") != std::string_view::npos || text.find("@{") != std::string_view::npos ||
      text == "@" || text.ends_with(".lock") || text.ends_with('.')) {
    return false;
  }
  return each_part(text, [](std::string_view part) { return !part.empty() && part.front() != '.'; });
}

bool EtagRule::valid(std::string_view text) {
  if (text.empty() || text.size() > 128 || text == "." || text == "..") return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return is_word(c) || c == '-' || c == '.'; });
}

bool is_credential_scope(std::string_view text) {
  return text.empty() || util::is_lower_hex(text, 32);
}

} // namespace store
