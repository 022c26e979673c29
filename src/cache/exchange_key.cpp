#include "cache/exchange_key.hpp"

#include "util/headers.hpp"
#include "util/sha256.hpp"

#include <algorithm>

namespace cache {

bool is_signature_param(std::string_view name) {
  if (name.size() >= 6 && util::iequals(name.substr(0, 6), "X-Amz-")) return true;
  static constexpr std::string_view k_names[] = {"Expires", "Signature", "Key-Pair-Id", "Policy"};
  return std::any_of(std::begin(k_names), std::end(k_names),
                     [&](std::string_view n) { return util::iequals(n, name); });
}

std::string canonical_query(std::string_view query, const std::vector<std::string>& ignored) {
  std::vector<std::string> kept;
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const auto pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const auto name = pair.substr(0, pair.find('='));
    if (is_signature_param(name)) continue;
    if (std::find(ignored.begin(), ignored.end(), name) != ignored.end()) continue;
    kept.emplace_back(pair);
  }
  std::stable_sort(kept.begin(), kept.end());
  std::string out;
  for (const auto& pair : kept) {
    if (!out.empty()) out += '&';
    out += pair;
  }
  return out;
}

std::string exchange_key(std::string_view method, const upstream::Url& url,
                         std::string_view credential_scope,
                         const std::vector<std::string>& ignored_query) {
  std::string key(method);
  key += ' ';
  key += url.origin();
  key += url.path;
  const auto query = canonical_query(url.query, ignored_query);
  if (!query.empty()) key += "?" + query;
  if (!credential_scope.empty()) {
    key += " credential=";
    key += credential_scope;
  }
  return key;
}

std::string origin_key_prefix(std::string_view method, const upstream::Url& url) {
  // exchange_key() writes the origin, then the path, which always starts with '/'.
  return std::string(method) + " " + url.origin() + "/";
}

std::string credential_scope(std::string_view salt, std::string_view authorization,
                             std::string_view cookie) {
  if (authorization.empty() && cookie.empty()) return "";
  util::Sha256Hasher hasher;
  hasher.update(salt);
  hasher.update(std::string_view("\nauthorization:"));
  hasher.update(authorization);
  hasher.update(std::string_view("\ncookie:"));
  hasher.update(cookie);
  return hasher.finish().hex().substr(0, 32);
}

} // namespace cache
