#include "upstream/url.hpp"

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

bool host_matches(std::string_view pattern, std::string_view host) {
  const std::string p = lower(pattern);
  const std::string h = lower(host);
  if (p == "*") return true;
  if (p.rfind("*.", 0) == 0) {
    const std::string suffix = p.substr(1);  // ".example.com"
    return h == p.substr(2) ||
           (h.size() > suffix.size() && h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0);
  }
  return p == h;
}

bool host_allowed(const std::vector<std::string>& patterns, std::string_view host) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return host_matches(p, host); });
}

} // namespace upstream
