#include "preload/engine_client.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace preload {

namespace {

constexpr std::size_t k_max_small_body = 256u << 20;
constexpr std::size_t k_max_error_body = 4096;  // enough for any reason worth printing

// A body streamed from the engine (or, through its proxy, from an upstream): counted,
// hashed when it is a hit and asked for, and its start kept when it is an error.
class DownloadHooks final : public upstream::TransferHooks {
public:
  DownloadHooks(Download& out, util::Sha256Hasher* hash_if_hit,
                const std::function<void(std::uint64_t)>& progress)
      : m_out(out), m_hash_if_hit(hash_if_hit), m_progress(progress) {}

  void on_status_line(int status) override {
    m_status = status;
    m_out.headers.clear();  // a new response (after a 100 Continue, say)
  }
  void on_header(std::pair<std::string, std::string> header) override {
    m_out.headers.push_back(std::move(header));
  }
  bool on_body(std::span<const std::uint8_t> bytes) override {
    const std::string_view data(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if ((m_status < 200 || m_status > 299) && m_out.error_body.size() < k_max_error_body) {
      m_out.error_body.append(data.substr(0, k_max_error_body - m_out.error_body.size()));
    }
    if (!m_decided) {
      // Hash only a body the engine says came from its store; decided at the first byte.
      m_decided = true;
      if (m_hash_if_hit && util::find_header(m_out.headers, "X-Hubcache").value_or("") == "hit") {
        m_hasher = m_hash_if_hit;
      }
    }
    if (m_hasher) m_hasher->update(data);
    m_out.bytes += bytes.size();
    if (m_progress) m_progress(bytes.size());
    return true;
  }

  bool hashed() const { return m_hasher != nullptr; }

private:
  Download& m_out;
  util::Sha256Hasher* m_hash_if_hit;
  const std::function<void(std::uint64_t)>& m_progress;
  int m_status = 0;
  bool m_decided = false;
  util::Sha256Hasher* m_hasher = nullptr;
};

upstream::HttpOptions client_http(const std::string& ca_bundle, const std::string& proxy) {
  upstream::HttpOptions http;
  http.ca_file = ca_bundle;
  // The engine is on loopback; never let a proxy variable of ours send it elsewhere.
  http.proxy = proxy;
  http.user_agent = "hubcache-preload";
  http.buffer_size = 256L * 1024;
  http.connect_timeout = std::chrono::milliseconds(0);  // curl's own
  return http;
}

} // namespace

EngineClient::EngineClient(std::string endpoint, std::string ca_bundle,
                           std::optional<std::string> token, const FailureCauses* causes,
                           upstream::RetryPolicy retry, util::StopSignal* stop)
    : m_endpoint(std::move(endpoint)), m_ca_bundle(std::move(ca_bundle)),
      m_token(std::move(token)), m_causes(causes),
      m_http(client_http(m_ca_bundle, ""), retry, stop) {}

util::Result<Reply> EngineClient::get(const std::string& target,
                                      const util::Headers& extra) const {
  upstream::HttpRequest request;
  request.url = m_endpoint + target;
  request.headers = extra;
  if (m_token) request.headers.emplace_back("Authorization", "Bearer " + *m_token);
  auto response = m_http.send(request, k_max_small_body);
  if (!response) {
    if (response.error().code == util::Errc::invalid_argument) {
      return util::fail(util::Errc::invalid_argument, request.url + ": answer larger than 256 MiB");
    }
    return util::fail(util::Errc::upstream_unreachable, request.url + ": " + response.error().message);
  }
  Reply reply;
  reply.status = response->status;
  reply.headers = std::move(response->headers);
  reply.body = std::move(response->body);
  if (m_causes && reply.status >= 500) reply.cause = m_causes->find(reply.body);
  return reply;
}

util::Result<Download> EngineClient::download(const std::string& target,
                                              const util::Headers& headers,
                                              const std::function<void(std::uint64_t)>& progress,
                                              bool hash_hits) const {
  const bool via_proxy = target.empty() || target.front() != '/';
  upstream::HttpRequest request;
  request.url = via_proxy ? target : m_endpoint + target;
  request.headers = headers;
  if (m_token && !via_proxy) request.headers.emplace_back("Authorization", "Bearer " + *m_token);
  util::Sha256Hasher hasher;
  Download out;
  DownloadHooks hooks(out, hash_hits ? &hasher : nullptr, progress);
  // One attempt: the engine retries its upstream itself, and a body half-counted in the
  // progress cannot be taken back.
  auto outcome = upstream::transfer(client_http(m_ca_bundle, via_proxy ? m_endpoint : ""), request, hooks);
  if (!outcome) return tl::unexpected(outcome.error());
  if (!outcome->complete) {
    return util::fail(util::Errc::upstream_unreachable, request.url + ": " + outcome->detail);
  }
  out.status = outcome->status;
  if (hooks.hashed()) out.sha256 = hasher.finish();
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
