// Canonical request keys for recorded exchanges (DESIGN.md, "Two kinds of knowledge"): what
// varies without changing the content never enters a key.
#pragma once

#include "upstream/url.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace cache {

// The query, parameters sorted, the signing parameters of a presigned URL
// (upstream/signed_url.hpp) and `ignored` names dropped: the secret ones scope the key instead
// (credential_scope), the rest change with every signing. Names compare as sent
// (percent-encoded); values are kept as sent.
std::string canonical_query(std::string_view query, const std::vector<std::string>& ignored = {});

// "GET https://host/path?a=1&b=2", plus " credential=<scope>" when `credential_scope` is set.
std::string exchange_key(std::string_view method, const upstream::Url& url,
                         std::string_view credential_scope = {},
                         const std::vector<std::string>& ignored_query = {});

// The start every exchange_key(method, u, ...) has for a URL `u` of `url`'s origin (scheme,
// host and port): "GET https://host:8443/". For asking the index what an origin holds.
std::string origin_key_prefix(std::string_view method, const upstream::Url& url);

// A salted hash of the request's credentials (Authorization, Cookie, and the secret
// parameters of a presigned URL), or "" if it has none. The credential itself is never
// stored; equal credentials give equal scopes in one store.
std::string credential_scope(std::string_view salt, std::string_view authorization,
                             std::string_view cookie, std::string_view signature = {});

} // namespace cache
