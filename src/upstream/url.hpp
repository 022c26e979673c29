// URLs as the upstream layer needs them: split, resolved against a base, matched against
// host patterns. Parsing is libcurl's URL API (curl stays in the .cpp).
#pragma once

#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace upstream {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case, no brackets
  int port = 0;        // explicit or the scheme's default
  std::string path;    // as sent, still percent-encoded; "/" at least
  std::string query;   // without '?'; empty if none

  // scheme://host[:port]: the port only when it is not the scheme's default.
  std::string origin() const;
  std::string to_string() const;  // origin + path + ('?' + query)
};

// Parses an absolute http(s) URL. Errc::invalid_argument otherwise.
util::Result<Url> parse_url(std::string_view text);

// Resolves `reference` (a Location header: absolute, scheme-relative or relative) against
// `base`.
util::Result<Url> resolve_url(const Url& base, std::string_view reference);

// Host patterns for --allow-host: "*" (any host), "*.example.com" (subdomains, and
// example.com itself), or an exact host. Case-insensitive.
bool host_matches(std::string_view pattern, std::string_view host);
bool host_allowed(const std::vector<std::string>& patterns, std::string_view host);

} // namespace upstream
