#include "upstream/url.hpp"

#include "util/host_name.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

#include <curl/curl.h>

namespace upstream {

namespace {

struct UrlHandleDeleter {
  void operator()(CURLU* handle) const { curl_url_cleanup(handle); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlHandleDeleter>;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::string> part(CURLU* handle, CURLUPart which, unsigned int flags = 0) {
  char* value = nullptr;
  if (curl_url_get(handle, which, &value, flags) != CURLUE_OK) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

util::Result<Url> from_handle(CURLU* handle, std::string_view text) {
  Url url;
  url.scheme = lower(part(handle, CURLUPART_SCHEME).value_or(""));
  if (url.scheme != "http" && url.scheme != "https") {
    return util::fail(util::Errc::invalid_argument,
                      "not an http(s) URL: " + std::string(text));
  }
  url.host = lower(part(handle, CURLUPART_HOST).value_or(""));
  if (url.host.size() > 2 && url.host.front() == '[' && url.host.back() == ']') {
    url.host = url.host.substr(1, url.host.size() - 2);
  }
  if (url.host.empty()) {
    return util::fail(util::Errc::invalid_argument, "URL has no host: " + std::string(text));
  }
  url.port = std::stoi(part(handle, CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("0"));
  url.path = part(handle, CURLUPART_PATH).value_or("/");
  url.query = part(handle, CURLUPART_QUERY).value_or("");
  return url;
}

} // namespace

std::string Url::origin() const {
  const bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string out = scheme + "://" + (ipv6 ? "[" + host + "]" : host);
  if (!default_port) out += ":" + std::to_string(port);
  return out;
}

std::string Url::to_string() const {
  return origin() + path + (query.empty() ? "" : "?" + query);
}

util::Result<Url> parse_url(std::string_view text) {
  UrlHandle handle(curl_url());
  const std::string copy(text);
  // CURLU_PATH_AS_IS: keep "%2F" and "/../" as sent: the Hub routes on the raw path.
  if (curl_url_set(handle.get(), CURLUPART_URL, copy.c_str(), CURLU_PATH_AS_IS) != CURLUE_OK) {
    return util::fail(util::Errc::invalid_argument, "not a URL: " + copy);
  }
  return from_handle(handle.get(), text);
}

util::Result<Url> resolve_url(const Url& base, std::string_view reference) {
  UrlHandle handle(curl_url());
  const std::string base_text = base.to_string();
  const std::string ref(reference);
  if (curl_url_set(handle.get(), CURLUPART_URL, base_text.c_str(), CURLU_PATH_AS_IS) !=
          CURLUE_OK ||
      curl_url_set(handle.get(), CURLUPART_URL, ref.c_str(), CURLU_PATH_AS_IS) != CURLUE_OK) {
    return util::fail(util::Errc::invalid_argument, "bad redirect location: " + ref);
  }
  return from_handle(handle.get(), reference);
}

std::optional<Authority> split_authority(std::string_view text) {
  Authority out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
  } else {
    const auto colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return std::nullopt;  // an IPv6 address must be bracketed to carry a port
    }
    out.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) rest = text.substr(colon);
  }
  if (!rest.empty()) out.port = std::string(rest.substr(1));
  return out;
}

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  const auto is_hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (host.find(':') != std::string_view::npos) {
    return std::all_of(host.begin(), host.end(),
                       [&](char c) { return is_hex(c) || c == ':' || c == '.'; });
  }
  std::size_t label = 0;
  for (const char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

std::optional<int> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int port = std::stoi(std::string(text));
  if (port < 1 || port > 65535) return std::nullopt;
  return port;
}

util::Result<Url> parse_connect_target(std::string_view authority) {
  // One grammar for CONNECT targets: the server checks the same before any handler runs.
  const auto parsed = util::parse_authority(authority);
  if (!parsed) {
    return util::fail(util::Errc::invalid_argument,
                      "not a CONNECT target (host:port): " + std::string(authority));
  }
  Url url;
  url.scheme = "https";
  url.host = parsed->host.text();
  url.port = parsed->port;
  url.path = "/";
  return url;
}

} // namespace upstream
