#include "cache/forwarded_headers.hpp"

#include <algorithm>

namespace cache {

namespace {

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return util::iequals(n, name); });
}

std::string trimmed(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return std::string(value);
}

// Calls `visit` with each comma-separated, trimmed element of a list header.
template <typename Visit> void for_each_element(std::string_view list, Visit visit) {
  std::size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    const auto element = trimmed(list.substr(start, end - start));
    if (!element.empty()) visit(element);
    start = end + 1;
  }
}

} // namespace

util::Headers forwarded_headers(const util::Headers& client, Upstream upstream) {
  util::Headers out;
  for (const auto& [name, value] : client) {
    const bool sent =
        one_of(name, {"Authorization", "Cookie", "Content-Type", "Content-Encoding"}) ||
        (upstream == Upstream::origin && one_of(name, {"Accept", "Accept-Language"}));
    if (sent) out.emplace_back(name, value);
  }
  return out;
}

std::string variant_key(const util::Headers& client, std::string_view method) {
  std::string out;
  const auto add = [&](std::string_view label, std::string_view name) {
    const auto value = util::find_header(client, name);
    if (!value) return;
    const auto text = trimmed(*value);
    if (text.empty() || (label == "accept" && text == "*/*")) return;
    out += " " + std::string(label) + "=" + text;
  };
  add("accept", "Accept");
  add("accept-language", "Accept-Language");
  if (method == "POST") {
    add("content-type", "Content-Type");
    add("content-encoding", "Content-Encoding");
  }
  return out;
}

bool varies_beyond_key(const util::Headers& response) {
  bool beyond = false;
  for (const auto& [name, value] : response) {
    if (!util::iequals(name, "Vary")) continue;
    for_each_element(value, [&](const std::string& element) {
      beyond = beyond || element == "*";
    });
  }
  return beyond;
}

} // namespace cache
