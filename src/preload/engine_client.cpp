#include "preload/engine_client.hpp"

#include "util/utf8.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace preload {

namespace {

constexpr std::size_t k_max_small_body = 256u << 20;
constexpr std::size_t k_max_error_body = 4096;  // enough for any reason worth printing

struct EasyDeleter {
  void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Transfer {
  util::Headers headers;
  int status = 0;
  std::string* body = nullptr;  // small answers
  std::string* error_body = nullptr;  // the start of an answer other than 2xx
  int status_line = 0;  // the status of the answer being received
  util::Sha256Hasher* hasher = nullptr;
  std::uint64_t bytes = 0;
  const std::function<void(std::uint64_t)>* progress = nullptr;
  bool too_big = false;
  // Hash only a body the engine says came from its store; decided at the first byte.
  util::Sha256Hasher* hash_if_hit = nullptr;
  bool decided = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    t.headers.clear();  // a new response (after a 100 Continue, say)
    const auto space = line.find(' ');
    t.status_line = space == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(space + 1, 3)).c_str());
    return n;
  }
  if (auto header = util::parse_header_line(line)) t.headers.push_back(std::move(*header));
  return n;
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  if (t.body) {
    if (t.body->size() + n > k_max_small_body) {
      t.too_big = true;
      return 0;
    }
    t.body->append(data, n);
  }
  if (t.error_body && (t.status_line < 200 || t.status_line > 299) &&
      t.error_body->size() < k_max_error_body) {
    t.error_body->append(data, std::min(n, k_max_error_body - t.error_body->size()));
  }
  if (!t.decided) {
    t.decided = true;
    if (t.hash_if_hit && util::find_header(t.headers, "X-Hubcache").value_or("") == "hit") {
      t.hasher = t.hash_if_hit;
    }
  }
  if (t.hasher) t.hasher->update(std::string_view(data, n));
  t.bytes += n;
  if (t.progress && *t.progress) (*t.progress)(n);
  return n;
}

util::Result<void> perform(const std::string& url, const util::Headers& headers, bool head_only,
                           const std::string& proxy, const std::string& ca_bundle, Transfer& t) {
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return util::fail(util::Errc::io, "cannot create a curl handle");
  curl_slist* raw = nullptr;
  for (const auto& [name, value] : headers) raw = curl_slist_append(raw, (name + ": " + value).c_str());
  std::unique_ptr<curl_slist, ListDeleter> list(raw);
  char error_detail[CURL_ERROR_SIZE] = {};
  CURL* e = easy.get();
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(e, CURLOPT_USERAGENT, "hubcache-preload");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error_detail);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
  // The engine is on loopback; never let a proxy variable of ours send it elsewhere.
  curl_easy_setopt(e, CURLOPT_PROXY, proxy.c_str());
  curl_easy_setopt(e, CURLOPT_NOPROXY, proxy.empty() ? "*" : "");
  if (!ca_bundle.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, ca_bundle.c_str());
  if (head_only) curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  const CURLcode code = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  t.status = static_cast<int>(status);
  if (t.too_big) {
    return util::fail(util::Errc::invalid_argument, url + ": answer larger than 256 MiB");
  }
  if (code != CURLE_OK) {
    const std::string detail = error_detail[0] ? error_detail : curl_easy_strerror(code);
    return util::fail(util::Errc::upstream_unreachable, url + ": " + detail);
  }
  return {};
}

} // namespace

EngineClient::EngineClient(std::string endpoint, std::string ca_bundle,
                           std::optional<std::string> token, const FailureCauses* causes)
    : m_endpoint(std::move(endpoint)), m_ca_bundle(std::move(ca_bundle)),
      m_token(std::move(token)), m_causes(causes) {}

util::Result<Reply> EngineClient::get(const std::string& target,
                                      const util::Headers& extra) const {
  Reply reply;
  Transfer t;
  t.body = &reply.body;
  util::Headers headers = extra;
  if (m_token) headers.emplace_back("Authorization", "Bearer " + *m_token);
  if (auto r = perform(m_endpoint + target, headers, false, "", m_ca_bundle, t); !r) {
    return tl::unexpected(r.error());
  }
  reply.status = t.status;
  reply.headers = std::move(t.headers);
  if (m_causes && reply.status >= 500) reply.cause = m_causes->find(reply.body);
  return reply;
}

util::Result<Download> EngineClient::download(const std::string& target,
                                              const util::Headers& headers,
                                              const std::function<void(std::uint64_t)>& progress,
                                              bool hash_hits) const {
  const bool via_proxy = target.empty() || target.front() != '/';
  util::Headers sent = headers;
  if (m_token && !via_proxy) sent.emplace_back("Authorization", "Bearer " + *m_token);
  util::Sha256Hasher hasher;
  Download out;
  Transfer t;
  t.hash_if_hit = hash_hits ? &hasher : nullptr;
  t.progress = &progress;
  t.error_body = &out.error_body;
  const std::string url = via_proxy ? target : m_endpoint + target;
  if (auto r = perform(url, sent, false, via_proxy ? m_endpoint : "", m_ca_bundle, t); !r) {
    return tl::unexpected(r.error());
  }
  out.status = t.status;
  out.headers = std::move(t.headers);
  out.bytes = t.bytes;
  if (t.hasher) out.sha256 = hasher.finish();
  if (m_causes && out.status >= 500) out.cause = m_causes->find(out.error_body);
  return out;
}


std::string error_text(const Reply& reply) {
  // Upstream text reaches the operator's terminal: made printable (control characters, bad
  // UTF-8), one line, bounded.
  if (!reply.cause.empty()) return util::printable(reply.cause, 400);
  if (auto message = util::find_header(reply.headers, "X-Error-Message")) {
    return util::printable(*message, 200);
  }
  std::string text = reply.body.substr(0, 200);
  for (auto& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return util::printable(text, 200);
}

} // namespace preload
