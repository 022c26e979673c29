// The client preload drives an engine with: the HTTP client box (upstream/http_client.hpp)
// against the engine's loopback port, asking exactly what Hub clients ask (so that what is
// recorded is what they will ask later), and through its forward proxy for plain URLs.
#pragma once

#include "preload/failure_causes.hpp"
#include "upstream/http_client.hpp"
#include "upstream/retry_policy.hpp"
#include "util/headers.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace preload {

struct Reply {
  int status = 0;
  util::Headers headers;
  std::string body;
  std::string cause;  // for a failure the engine made: its notice naming why (FailureCauses)
};

struct Download {
  int status = 0;
  util::Headers headers;
  std::uint64_t bytes = 0;
  std::optional<util::Sha256> sha256;  // when asked for
  std::string error_body;  // the first 4 KiB of an answer other than 2xx
  std::string cause;       // as Reply::cause
};

// Safe from any thread (each call has its own handle).
class EngineClient {
public:
  // `endpoint`: "http://127.0.0.1:PORT" (or, for --check, the Hub itself); `ca_bundle`: the
  // CAs trusted for https (the store's bundle for URLs fetched through the proxy; empty: the
  // system's); `token`: sent as a Bearer token to the Hub routes (HF_TOKEN); `causes`: the
  // in-process engine's notices, which fill Reply::cause (null: none), outliving the client.
  // `retry`: how get() retries a transport failure or a 429/502-504 (the one RetryPolicy);
  // none by default, since an engine retries its upstream itself. preload --check, which asks
  // the Hub directly, passes the policy of its --retries. `stop` ends a wait between tries
  // (null: never).
  EngineClient(std::string endpoint, std::string ca_bundle, std::optional<std::string> token,
               const FailureCauses* causes = nullptr, upstream::RetryPolicy retry = k_no_retries,
               util::StopSignal* stop = nullptr);

  // No second try: for the engine on loopback.
  static constexpr upstream::RetryPolicy k_no_retries{.max_retries = 0};

  // A small answer from the Hub routes: `target` is "/api/...". Bodies over 256 MiB fail.
  util::Result<Reply> get(const std::string& target, const util::Headers& headers = {}) const;

  // A body from the Hub routes (`target` starts with '/') or, through the proxy, from a
  // full URL; streamed and counted through `progress` (bytes since the last call). With
  // `hash_hits`, a body the engine serves from its store (X-Hubcache: hit) is hashed: it was
  // checked when stored, but maybe against another expectation. `headers` are sent as they are.
  util::Result<Download> download(const std::string& target, const util::Headers& headers,
                                  const std::function<void(std::uint64_t)>& progress,
                                  bool hash_hits = false) const;

  const std::string& endpoint() const { return m_endpoint; }

private:
  std::string m_endpoint;
  std::string m_ca_bundle;
  std::optional<std::string> m_token;
  const FailureCauses* m_causes;
  upstream::HttpClient m_http;  // get()'s client, with its retries
};


// Why an answer is an error, printable on one line: the engine's cause for a failure it made,
// else the Hub's X-Error-Message, else the start of the body.
std::string error_text(const Reply& reply);

} // namespace preload
