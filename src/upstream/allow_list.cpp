#include "upstream/allow_list.hpp"

#include <algorithm>
#include <cctype>

namespace upstream {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool host_matches(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return true;
  if (pattern.starts_with("*.")) {
    const auto suffix = pattern.substr(1);  // ".example.com"
    return host == pattern.substr(2) || (host.size() > suffix.size() && host.ends_with(suffix));
  }
  return pattern == host;
}

} // namespace

util::Result<OriginPattern> OriginPattern::parse(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return util::fail(util::Errc::invalid_argument,
                      "'" + std::string(text) + "' is not [http(s)://]HOST[:PORT]: " + why);
  };
  OriginPattern pattern;
  std::string rest = lower(text);
  if (const auto sep = rest.find("://"); sep != std::string::npos) {
    const auto scheme = rest.substr(0, sep);
    if (scheme == "http") {
      pattern.m_scheme = Scheme::http;
    } else if (scheme == "https") {
      pattern.m_scheme = Scheme::https;
    } else {
      return bad("the scheme is http or https");
    }
    rest = rest.substr(sep + 3);
  }
  if (rest.ends_with('/')) rest.pop_back();
  if (rest.find_first_of("/?#@") != std::string::npos) {
    return bad("an origin has no path, query or user");
  }
  const auto split = split_authority(rest);
  if (!split) return bad("one HOST[:PORT], an IPv6 HOST in brackets ([::1]:8080)");
  const std::string& host = split->host;
  const bool wildcard = host == "*" || host.starts_with("*.");
  if (host != "*" && !is_host_name(wildcard ? std::string_view(host).substr(2) : host)) {
    return bad("no host name in it");
  }
  pattern.m_host = host;
  if (split->port) {
    if (*split->port == "*") {
      pattern.m_port = Port::any;
    } else if (const auto port = parse_port(*split->port)) {
      pattern.m_port = Port::number;
      pattern.m_port_number = *port;
    } else {
      return bad("the port is 1-65535 or *");
    }
  } else if (pattern.m_scheme != Scheme::any) {
    // One form per meaning, so patterns compare equal: "https://x" is "https://x:443".
    pattern.m_port = Port::number;
    pattern.m_port_number = pattern.m_scheme == Scheme::https ? 443 : 80;
  }
  return pattern;
}

OriginPattern OriginPattern::exactly(const Url& url) {
  OriginPattern pattern;
  pattern.m_scheme = url.scheme == "https" ? Scheme::https : Scheme::http;
  pattern.m_host = url.host;
  pattern.m_port = Port::number;
  pattern.m_port_number = url.port;
  return pattern;
}

bool OriginPattern::matches(const Url& url) const {
  if (m_scheme == Scheme::http && url.scheme != "http") return false;
  if (m_scheme == Scheme::https && url.scheme != "https") return false;
  if (url.scheme != "http" && url.scheme != "https") return false;
  switch (m_port) {
  case Port::scheme_default:
    if (url.port != default_port(url.scheme)) return false;
    break;
  case Port::number:
    if (url.port != m_port_number) return false;
    break;
  case Port::any: break;
  }
  return host_matches(m_host, url.host);
}

std::string OriginPattern::to_string() const {
  std::string out = m_scheme == Scheme::http    ? "http://"
                    : m_scheme == Scheme::https ? "https://"
                                                : "";
  out += m_host.find(':') != std::string::npos ? "[" + m_host + "]" : m_host;
  // A port the scheme would default to goes without saying; with no scheme it must be said.
  switch (m_port) {
  case Port::scheme_default: break;
  case Port::any: out += ":*"; break;
  case Port::number:
    if (m_scheme == Scheme::any || m_port_number != (m_scheme == Scheme::https ? 443 : 80)) {
      out += ":" + std::to_string(m_port_number);
    }
    break;
  }
  return out;
}

bool allowed(const AllowList& list, const Url& url) {
  return std::any_of(list.begin(), list.end(),
                     [&](const OriginPattern& p) { return p.matches(url); });
}

} // namespace upstream
