#include "cache/body_key.hpp"

#include "util/sha256.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>

namespace cache {

namespace {

// A batch request nests 4 deep ({"objects":[{...}]}, "ref":{...}); the bound keeps a hostile
// body from driving the recursive serializer deep (DESIGN.md, "Trust").
constexpr int k_max_depth = 16;

bool is_lfs_json(const util::Headers& request) {
  const auto type = util::find_header(request, "Content-Type");
  if (!type) return false;
  std::string_view media = *type;
  media = media.substr(0, media.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  return util::iequals(media, "application/vnd.git-lfs+json");
}

// How deep `text`'s arrays and objects nest, brackets inside strings not counted.
int nesting(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      in_string = escaped || c != '"';
      escaped = !escaped && c == '\\';
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

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
  if (nesting(body) > k_max_depth) return std::nullopt;
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  sort_set(json, "transfers");
  sort_set(json, "objects");
  return json.dump();  // object keys come out sorted; parse has refused ill-formed UTF-8
}

} // namespace

std::string body_key(const util::Headers& request, std::string_view body) {
  std::optional<std::string> canonical;
  if (is_lfs_json(request)) canonical = canonical_batch(body);
  return " body=sha256:" + util::Sha256::of(canonical ? *canonical : body).hex();
}

} // namespace cache
