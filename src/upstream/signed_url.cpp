#include "upstream/signed_url.hpp"

#include "util/headers.hpp"

#include <algorithm>
#include <vector>

namespace upstream {

namespace {

bool starts_with_any_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && util::iequals(text.substr(0, prefix.size()), prefix);
}

// Calls `visit(pair, name)` for each "name=value" pair of a query.
template <typename Visit> void for_each_pair(std::string_view query, Visit visit) {
  std::size_t start = 0;
  while (start <= query.size()) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const auto pair = query.substr(start, end - start);
    visit(pair, pair.substr(0, pair.find('=')));
    start = end + 1;
  }
}

} // namespace

bool is_secret_param(std::string_view name) {
  static constexpr std::string_view k_names[] = {
      "X-Amz-Signature",   "X-Amz-Credential", "X-Amz-Security-Token", "Signature", "Policy",
      "Key-Pair-Id",       "X-Goog-Signature", "X-Goog-Credential",    "sig",       "token",
      "access_token"};
  return std::any_of(std::begin(k_names), std::end(k_names),
                     [&](std::string_view n) { return util::iequals(n, name); });
}

bool is_signing_param(std::string_view name) {
  return is_secret_param(name) || starts_with_any_case(name, "X-Amz-") ||
         starts_with_any_case(name, "X-Goog-") || util::iequals(name, "Expires");
}

std::string redact_url(std::string_view url) {
  const auto question = url.find('?');
  if (question == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, question));
  std::string query;
  for_each_pair(url.substr(question + 1), [&](std::string_view pair, std::string_view name) {
    if (pair.empty() || is_secret_param(name)) return;
    if (!query.empty()) query += '&';
    query += pair;
  });
  if (!query.empty()) out += "?" + query;
  return out;
}

std::string secret_params(std::string_view query) {
  std::string out;
  for_each_pair(query, [&](std::string_view pair, std::string_view name) {
    if (!is_secret_param(name)) return;
    if (!out.empty()) out += '&';
    out += pair;
  });
  return out;
}

} // namespace upstream
