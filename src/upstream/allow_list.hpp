// The allow-list (--allow-host): which origins hubcache may reach, as scheme + host + port
// (DESIGN.md, "Trust"). Patterns are parsed once, where the operator's text enters, and
// matched against a URL's origin by the proxy (what it forwards) and the fetcher (where it
// follows a redirect). Issue 14: matching hosts only let a client reach every port of the
// upstream's host.
#pragma once

#include "upstream/url.hpp"
#include "util/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace upstream {

// One entry of the allow-list: a scheme (http, https or either), a host (exact,
// "*.example.com" = the domain and its subdomains, or "*" = any host) and a port (a number,
// the scheme's default, or any). Only parse() and exactly() make one, so every value is valid.
// A plain value: copy it and share it between threads freely.
class OriginPattern {
public:
  // "[SCHEME://]HOST[:PORT]", case-insensitive, a trailing "/" tolerated:
  //   SCHEME  http or https; without it, either;
  //   HOST    a host name or address ("[::1]" for IPv6), "*.example.com", or "*";
  //   PORT    1-65535, or "*" for any; without it, the scheme's default: http on 80, https
  //           on 443 (so "example.com" is http://example.com:80 and https://example.com:443).
  // Errc::invalid_argument, with a one-line message that quotes `text`, for anything else
  // (a path, a query, userinfo, an empty host, another scheme, a port out of range).
  static util::Result<OriginPattern> parse(std::string_view text);

  // Exactly `url`'s origin (its scheme, host and port) and nothing else on that host.
  static OriginPattern exactly(const Url& url);

  // Whether `url`'s scheme, host and port are within the pattern; its path and query are not
  // looked at. `url` comes from parse_url() (lower-case scheme and host, a port always set).
  bool matches(const Url& url) const;

  // The canonical text: parse(to_string()) gives an equal pattern. Examples:
  // "https://*.hf.co", "127.0.0.1:8791", "http://[::1]:*", "*".
  std::string to_string() const;

  bool operator==(const OriginPattern&) const = default;

private:
  enum class Scheme { http, https, any };
  enum class Port { scheme_default, number, any };
  OriginPattern() = default;

  Scheme m_scheme = Scheme::any;
  std::string m_host;  // lower case: "*", "*.suffix" or a host (IPv6 without brackets)
  // scheme_default only with Scheme::any (http on 80, https on 443); with one scheme its
  // default port is a number, so that one meaning has one representation.
  Port m_port = Port::scheme_default;
  int m_port_number = 0;  // when m_port == Port::number
};

// The origins hubcache may reach. Empty: none.
using AllowList = std::vector<OriginPattern>;

// Whether any pattern of `list` matches `url` (see OriginPattern::matches).
bool allowed(const AllowList& list, const Url& url);

} // namespace upstream
