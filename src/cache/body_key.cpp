#include "cache/body_key.hpp"

#include "cache/git_lfs.hpp"
#include "util/json_text.hpp"
#include "util/sha256.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

namespace cache {

namespace {

// Sorts array `name` of `body` by each element's serialized form: a total order whatever the
// elements are, equal for equal sets.
void sort_set(nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_array()) return;
  std::sort(it->begin(), it->end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.dump() < b.dump();
  });
}

std::optional<std::string> canonical_batch(std::string_view body) {
  if (body.size() > k_max_git_lfs_json || util::json_nesting(body) > k_max_git_lfs_depth) {
    return std::nullopt;
  }
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  sort_set(json, "transfers");
  sort_set(json, "objects");
  return json.dump();  // object keys come out sorted; parse has refused ill-formed UTF-8
}

} // namespace

std::string body_key(const util::Headers& request, std::string_view body) {
  std::optional<std::string> canonical;
  if (is_git_lfs_json(request)) canonical = canonical_batch(body);
  return " body=sha256:" + util::Sha256::of(canonical ? *canonical : body).hex();
}

} // namespace cache
