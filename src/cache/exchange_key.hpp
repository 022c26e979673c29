// Canonical request keys for recorded exchanges (DESIGN.md, "Two kinds of knowledge"): what
// varies without changing the content never enters a key.
#pragma once

#include "upstream/url.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cache {

// Query parameters of signed URLs (S3, CloudFront, the Hub's CDN): their values change on
// every request and never change the content. X-Amz-*, Expires, Signature, Key-Pair-Id, Policy.
bool is_signature_param(std::string_view name);

// The query, parameters sorted, signature parameters and `ignored` names dropped. Names
// compare as sent (percent-encoded); values are kept as sent.
std::string canonical_query(std::string_view query, const std::vector<std::string>& ignored = {});

// "GET https://host/path?a=1&b=2", plus " credential=<scope>" when `credential_scope` is set.
std::string exchange_key(std::string_view method, const upstream::Url& url,
                         std::string_view credential_scope = {},
                         const std::vector<std::string>& ignored_query = {});

// The start every exchange_key(method, u, ...) has for a URL `u` of `url`'s origin (scheme,
// host and port): "GET https://host:8443/". For asking the index what an origin holds.
std::string origin_key_prefix(std::string_view method, const upstream::Url& url);

// A salted hash of the request's credentials (Authorization, Cookie), or "" if it has none.
// The credential itself is never stored; equal credentials give equal scopes in one store.
std::string credential_scope(std::string_view salt, std::string_view authorization,
                             std::string_view cookie);

} // namespace cache
