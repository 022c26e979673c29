#include "hub/xet.hpp"

#include "util/json_text.hpp"

#include <nlohmann/json.hpp>

namespace hub {

namespace {

// The Hub's answers nest a few levels (a listing's "lfs" object in an entry in an array).
constexpr int k_max_json_depth = 256;

bool is_xet_link(std::string_view entry) {
  return entry.find("rel=\"xet-") != std::string_view::npos ||
         entry.find("rel=xet-") != std::string_view::npos;
}

// The entries of a Link header: commas outside <...>.
std::vector<std::string> link_entries(std::string_view value) {
  std::vector<std::string> out;
  std::string current;
  bool in_url = false;
  for (char c : value) {
    if (c == '<') in_url = true;
    if (c == '>') in_url = false;
    if (c == ',' && !in_url) {
      out.push_back(current);
      current.clear();
      continue;
    }
    current.push_back(c);
  }
  if (!current.empty()) out.push_back(current);
  for (auto& entry : out) {
    entry.erase(0, entry.find_first_not_of(' '));
  }
  return out;
}

void strip(nlohmann::json& value) {
  if (value.is_object()) {
    value.erase("xetHash");
    for (auto& [key, child] : value.items()) strip(child);
  } else if (value.is_array()) {
    for (auto& child : value) strip(child);
  }
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  if (from.empty()) return text;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

} // namespace

util::Headers strip_xet(const util::Headers& headers) {
  util::Headers out;
  for (const auto& [name, value] : headers) {
    if (name.size() >= 6 && util::iequals(name.substr(0, 6), "X-Xet-")) continue;
    if (util::iequals(name, "Link")) {
      std::string kept;
      for (const auto& entry : link_entries(value)) {
        if (is_xet_link(entry)) continue;
        if (!kept.empty()) kept += ", ";
        kept += entry;
      }
      if (!kept.empty()) out.emplace_back(name, kept);
      continue;
    }
    out.emplace_back(name, value);
  }
  return out;
}

std::string strip_xet_json(std::string_view json) {
  if (json.find("xetHash") == std::string_view::npos) return std::string(json);
  // strip() and dump() recurse: a body nested deeper than any Hub answer is would overflow
  // the stack and stop the server (issue 14), so it is passed on as it is.
  bool too_deep = false;
  auto value = nlohmann::json::parse(
      json,
      [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > k_max_json_depth) too_deep = true;
        return true;
      },
      /*allow_exceptions=*/false);
  if (value.is_discarded() || too_deep) return std::string(json);
  strip(value);
  return util::to_json_text(value);
}

util::Headers rewrite_origin(const util::Headers& headers, std::string_view upstream_origin,
                             std::string_view own_origin) {
  util::Headers out = headers;
  for (auto& [name, value] : out) {
    if (util::iequals(name, "Link")) {
      value = replace_all(value, "<" + std::string(upstream_origin), "<" + std::string(own_origin));
    } else if (util::iequals(name, "Location") && value.rfind(upstream_origin, 0) == 0) {
      value = std::string(own_origin) + value.substr(upstream_origin.size());
    }
  }
  return out;
}

} // namespace hub
