// URLs as the upstream layer needs them: split, resolved against a base, and the authority of
// a CONNECT. Parsing is libcurl's URL API (curl stays in the .cpp).
#pragma once

#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>

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

// An authority split into its host (brackets of an IPv6 literal removed) and the port text
// after its ':' (std::nullopt when there is none). Nothing is validated but the shape:
// std::nullopt for an unclosed '[', text after ']' that is not ":PORT", or a bare IPv6.
struct Authority {
  std::string host;
  std::optional<std::string> port;
};
std::optional<Authority> split_authority(std::string_view text);

// Whether `host` is a host name or address as an authority may carry it (IPv6 without its
// brackets): DNS labels of letters, digits, '-' and '_' joined by single dots, or hex digits,
// ':' and '.' with at least one ':'. Nothing else: no userinfo, '/', '%', space or control.
bool is_host_name(std::string_view host);

// A port as an authority writes it: 1 to 5 digits, 1-65535. std::nullopt otherwise.
std::optional<int> parse_port(std::string_view text);

// The https origin a `CONNECT host:port` names ("example.com:443", "[::1]:8443"), as
// util::parse_authority reads it (the port required, the host a DNS name or an IP literal),
// host lower-cased, path "/". Errc::invalid_argument otherwise.
util::Result<Url> parse_connect_target(std::string_view authority);

} // namespace upstream
