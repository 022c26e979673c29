// Every upstream call goes through here: the HTTP client box (http_transfer.hpp), the retry
// policy, redirects followed to allowed origins only, a per-host cap, a stall watchdog, and
// resume with Range + If-Range.
#pragma once

#include "upstream/allow_list.hpp"
#include "upstream/http_transfer.hpp"
#include "upstream/host_limiter.hpp"
#include "upstream/retry_policy.hpp"
#include "upstream/url.hpp"
#include "util/headers.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"
#include "util/stop_signal.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace upstream {

// A redirect (one that was followed, in ResponseHead::redirects).
struct Hop {
  int status = 0;
  util::Headers headers;
  std::string url;  // the URL that answered with the redirect, redacted (signed_url.hpp)
};

struct FetchRequest {
  std::string method = "GET";  // GET, HEAD or POST
  Url url;
  util::Headers headers;  // end-to-end request headers to forward (Authorization included)
  std::string body;       // POST only
  // Credentials (Authorization, Cookie, aws_sigv4) go to `url`'s exact origin only (scheme,
  // host and port), never to where it redirects.
  // Whether a failed attempt may be retried. GET and HEAD always are; a POST only when the
  // caller knows it reads (the Hub's paths-info).
  bool idempotent_post = false;
  // The sink already holds this many bytes of the body (a partial file from an earlier fetch):
  // ask for the rest with Range. The head the sink sees is the whole entity's (200, its full
  // length). If the upstream does not answer with that range, the sink is restart()ed and the
  // body fetched from byte 0. Content is the caller's to check (a GET with a known sha256).
  std::uint64_t resume_from = 0;
  // Signs every transfer to the request's own host (an S3 remote tier); a payload hash of
  // UNSIGNED-PAYLOAD is sent, as S3 wants for a GET.
  std::optional<AwsSigning> aws_sigv4;
  // Asked before every try after the first (a retry, a resume with Range) for the keys to
  // sign it with, in place of `aws_sigv4`: a fill that runs longer than its credentials live
  // signs its later tries with the renewed ones (S3Client). Null: `aws_sigv4` throughout;
  // nullopt: the try goes unsigned. Called on the fetching thread.
  std::function<std::optional<AwsSigning>()> aws_sigv4_renewed;
  // Asked before each redirect the fetcher would follow (an allowed origin, no downgrade),
  // with the hop and where it leads; false: the redirect itself is the answer. The Hub's
  // resolve stops where the Hub names an LFS file's content, to fetch that content once for
  // every name it has (cache/content_fill.hpp). Called on the fetching thread.
  std::function<bool(const Hop& hop, const Url& next)> follow_redirect;
};

// The final response's status line and headers, after redirects and retries.
struct ResponseHead {
  int status = 0;
  util::Headers headers;  // as received
  std::string url;        // the URL that gave this answer, redacted (signed_url.hpp)
  std::vector<Hop> redirects;
  std::optional<std::uint64_t> content_length;  // of the body (for HEAD: of the entity)
  // Where the redirect this answer is leads, when FetchRequest::follow_redirect stopped the
  // fetch there (an allowed origin the fetcher would have followed).
  std::optional<Url> stopped_at;
};

// Receives one response. Called on the fetching thread.
class FetchSink {
public:
  virtual ~FetchSink() = default;
  // Once, before any body byte.
  virtual void on_head(const ResponseHead& head) = 0;
  // The body in order, each byte once, also across a resumed transfer. An error aborts.
  virtual util::Result<void> on_body(std::span<const std::uint8_t> bytes) = 0;
  // Forget the bytes held before the fetch (FetchRequest::resume_from); called before on_head.
  virtual util::Result<void> restart() {
    return util::fail(util::Errc::invalid_argument, "this sink cannot start over");
  }
  // Whether nobody wants the response any more. Asked at least once a second whatever the
  // fetch is doing (waiting for a slot of its host, for the head, between retries, during
  // the body); true ends it with Errc::upstream_unreachable, without retrying.
  virtual bool cancelled() { return false; }
};

struct FetchResult {
  int attempts = 0;  // transfers made, resumes included, redirect hops not
  std::uint64_t bytes = 0;
  bool resumed = false;
  std::chrono::milliseconds elapsed{0};
};

// One line of the throttle log: a retry about to wait.
struct ThrottleEvent {
  std::string url;
  int attempt = 0;  // the attempt that failed
  std::optional<int> status;
  std::string error;  // the transport error, when there was no status
  std::chrono::milliseconds wait{0};
  WaitSource source = WaitSource::backoff;
};

struct FetcherOptions {
  RetryPolicy retry;
  // Where a redirect is followed: an allowed origin (scheme, host and port), and never from
  // https to http. Any other redirect is the answer, passed on as the upstream gave it.
  AllowList allow;
  std::uint64_t min_rate = 1000;         // bytes/s; slower than this for stall_time aborts
  std::chrono::seconds stall_time{30};
  std::chrono::seconds connect_timeout{30};
  int max_per_host = 8;
  // Trust these CAs (PEM file) for https upstreams instead of the system's (--upstream-ca).
  std::string ca_file;
  int max_redirects = 10;
  std::string user_agent = "hubcache";
};

// What the cache asks of the network: one fetch, blocking, on the caller's thread. The seam
// the pipeline's unit tests put a scripted upstream behind (cache/fetches.hpp).
class Transport {
public:
  virtual ~Transport() = default;
  // See Fetcher::fetch() for the contract.
  virtual util::Result<FetchResult> fetch(const FetchRequest& request, FetchSink& sink) = 0;
};

// Safe from any thread; each fetch() runs on its caller's thread.
class Fetcher final : public Transport {
public:
  Fetcher(FetcherOptions options, util::Metrics& metrics, util::StopSignal& stop,
          std::function<void(const ThrottleEvent&)> on_throttle);

  // Fetches `request`, feeding `sink`. Blocking.
  // Before on_head: Errc::upstream_unreachable (refused, reset, DNS, TLS, cancelled by the
  // sink) or Errc::timeout,
  // once the retries are spent. After on_head: Errc::upstream_unreachable when the body broke
  // and could not be resumed, Errc::io when the sink failed. A status the policy would retry
  // but may not any more (the last 429) is a normal answer, passed to the sink.
  util::Result<FetchResult> fetch(const FetchRequest& request, FetchSink& sink) override;

  const FetcherOptions& options() const { return m_options; }

private:
  FetcherOptions m_options;
  util::Metrics& m_metrics;
  util::StopSignal& m_stop;
  std::function<void(const ThrottleEvent&)> m_on_throttle;
  HostLimiter m_limiter;
  HttpOptions m_http;  // the handle every transfer is built with (http_client.hpp)
};

} // namespace upstream
