// The one place libcurl handles are built and run (the HTTP client box, with
// http_client.hpp): TLS and its CA file, proxies off unless one is named, timeouts, SigV4 with
// the rules curl 7.88 needs, response header parsing. transfer() is one attempt of one
// request, with callbacks per header and body chunk: the fetcher streams through it (its
// redirects, resume and stall watchdog are its own); small requests go through HttpClient.
// Free of curl on purpose: callers see util::Headers and Result, never a CURL*.
#pragma once

#include "util/headers.hpp"
#include "util/result.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace upstream {

// AWS Signature Version 4 for an S3 object (libcurl's CURLOPT_AWS_SIGV4). Never logged.
struct AwsSigning {
  std::string provider;  // "aws:amz:REGION:s3"
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // empty: none
};

// How a handle is set up; the same for every request of one client.
struct HttpOptions {
  // Trust these CAs (PEM file) for https instead of the system's; empty: the system's.
  std::string ca_file;
  // Send every request through this HTTP proxy ("http://127.0.0.1:PORT"). Empty: no proxy,
  // whatever http_proxy/https_proxy/ALL_PROXY say (the environment is the clients', not ours).
  std::string proxy;
  std::chrono::milliseconds connect_timeout{30'000};
  // The whole transfer; zero: none (the caller bounds it, e.g. the fetcher's stall watchdog).
  std::chrono::milliseconds timeout{0};
  std::string user_agent = "hubcache";
  long buffer_size = 0;  // bytes per body callback; 0: curl's default
  bool tcp_keepalive = false;
};

struct HttpRequest {
  // GET, HEAD, POST (body from `body`), PUT (uploaded from `body` or `body_file`), or any
  // other verb sent as it is without a body.
  std::string method = "GET";
  std::string url;        // sent as it is (no dot-segment squashing)
  util::Headers headers;  // sent as they are
  std::string_view body;
  // PUT only: `body_size` bytes read from here instead of `body`; rewound before each attempt.
  std::FILE* body_file = nullptr;
  std::uint64_t body_size = 0;
  // Signs the request; the payload hash goes as x-amz-content-sha256: UNSIGNED-PAYLOAD (curl
  // 7.88 signs that header's value but does not add it), the session token as
  // x-amz-security-token. The query must already be canonical (sorted, encoded).
  std::optional<AwsSigning> aws_sigv4;
  // Whether a failed attempt may be retried (HttpClient). Every method but POST is; a POST
  // only when the caller knows it reads.
  bool idempotent_post = false;
};

// What one transfer tells its caller, on the transferring thread, in order.
class TransferHooks {
public:
  virtual ~TransferHooks() = default;
  // A response begins with this status (a 1xx one is followed by another).
  virtual void on_status_line(int /*status*/) {}
  virtual void on_header(std::pair<std::string, std::string> /*header*/) {}
  // The response's headers are complete; false aborts the transfer.
  virtual bool on_end_of_headers() { return true; }
  // Body bytes in order; false aborts the transfer.
  virtual bool on_body(std::span<const std::uint8_t> bytes) = 0;
  // At least once a second while the transfer runs, with the body bytes received so far;
  // false aborts it.
  virtual bool on_progress(std::uint64_t /*received*/) { return true; }
};

struct TransferOutcome {
  bool complete = false;   // the whole response was received
  bool timed_out = false;  // the connect or the total timeout fired
  bool aborted = false;    // a hook returned false
  int status = 0;          // the last response's status; 0 if none came
  // When not complete: "curl's text (its detail)" and the detail alone (curl's text when it
  // gave none), for the messages each caller already prints.
  std::string error;
  std::string detail;
};

// One attempt of `request`, blocking. Errc::io only when no handle can be made: every other
// failure is an outcome the caller judges.
util::Result<TransferOutcome> transfer(const HttpOptions& options, const HttpRequest& request,
                                       TransferHooks& hooks);

// Call once before any thread uses the box.
void global_init();

} // namespace upstream
