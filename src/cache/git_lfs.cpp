#include "cache/git_lfs.hpp"

#include "util/json_text.hpp"

#include <nlohmann/json.hpp>

namespace cache {

bool is_git_lfs_json(const util::Headers& headers) {
  const auto type = util::find_header(headers, "Content-Type");
  if (!type) return false;
  std::string_view media = *type;
  media = media.substr(0, media.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  return util::iequals(media, "application/vnd.git-lfs+json");
}

std::optional<std::string> without_lfs_expiry(std::string_view body) {
  if (body.size() > k_max_git_lfs_json || util::json_nesting(body) > k_max_git_lfs_depth) {
    return std::nullopt;
  }
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("objects") || !json["objects"].is_array()) {
    return std::nullopt;
  }
  bool changed = false;
  for (auto& object : json["objects"]) {
    if (!object.is_object() || !object.contains("actions") || !object["actions"].is_object()) {
      continue;
    }
    for (auto& [name, action] : object["actions"].items()) {
      if (!action.is_object()) continue;
      changed = action.erase("expires_at") > 0 || changed;
      changed = action.erase("expires_in") > 0 || changed;
    }
  }
  if (!changed) return std::nullopt;
  return util::to_json_text(json);
}

} // namespace cache
