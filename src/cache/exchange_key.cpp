#include "cache/exchange_key.hpp"

#include "upstream/signed_url.hpp"
#include "util/headers.hpp"
#include "util/sha256.hpp"

#include <algorithm>

namespace cache {

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
    if (upstream::is_signing_param(name)) continue;
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
                             std::string_view cookie, std::string_view signature) {
  if (authorization.empty() && cookie.empty() && signature.empty()) return "";
  util::Sha256Hasher hasher;
  hasher.update(salt);
  hasher.update(std::string_view("\nauthorization:"));
  hasher.update(authorization);
  hasher.update(std::string_view("\ncookie:"));
  hasher.update(cookie);
  if (!signature.empty()) {  // absent: the scope of a header credential is what it always was
    hasher.update(std::string_view("\nsignature:"));
    hasher.update(signature);
  }
  return hasher.finish().hex().substr(0, 32);
}

} // namespace cache
