// Small HTTP requests, whole, through the one RetryPolicy and the process's StopSignal (the
// HTTP client box, on http_transfer.hpp): the S3 client, and preload's client of an engine or
// of the Hub, ask through here.
#pragma once

#include "upstream/http_transfer.hpp"
#include "upstream/retry_policy.hpp"
#include "util/headers.hpp"
#include "util/result.hpp"
#include "util/stop_signal.hpp"

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace upstream {

// A small answer, whole.
struct HttpResponse {
  int status = 0;
  util::Headers headers;
  std::string body;  // empty when a sink took it
};

// Takes a 2xx body as it comes (a streamed download); an error aborts the request.
using BodySink = std::function<util::Result<void>(std::span<const std::uint8_t>)>;

// Small requests through the one retry policy: a transport failure or a status the policy
// retries (429, 502-504; 500 too with RetryPolicy::retry_internal_error) is tried again after
// the policy's wait, which a stop ends at once. When the retries are spent, a status is
// returned as the answer and a transport failure is the error. Safe from any thread.
class HttpClient {
public:
  // The single-attempt function: transfer() for real; a scripted one in tests.
  using Transferer = std::function<util::Result<TransferOutcome>(const HttpOptions&, const HttpRequest&,
                                                                 TransferHooks&)>;
  // `stop`: the process's; null: waits are never cut short. It must outlive the client.
  HttpClient(HttpOptions options, RetryPolicy retry, util::StopSignal* stop = nullptr,
             Transferer transferer = transfer);

  // Sends `request`. The body is kept up to `limit` bytes (Errc::invalid_argument "larger
  // than N bytes" beyond); with `sink`, a 2xx body goes to it instead, and once a byte went
  // there the request is not retried. Errors: Errc::upstream_unreachable ("shutting down"
  // when stopped, or the transport's detail), Errc::timeout, a sink's own error.
  util::Result<HttpResponse> send(const HttpRequest& request, std::uint64_t limit,
                                  const BodySink* sink = nullptr) const;

  const HttpOptions& options() const { return m_options; }
  const RetryPolicy& retry() const { return m_retry; }

private:
  HttpOptions m_options;
  RetryPolicy m_retry;
  util::StopSignal* m_stop;
  Transferer m_transferer;
};

} // namespace upstream
