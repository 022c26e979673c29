#include "upstream/http_client.hpp"

#include "util/clock.hpp"

#include <random>

namespace upstream {

namespace {

double random01() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// Collects one attempt's answer for HttpClient::send.
class SmallHooks final : public TransferHooks {
public:
  SmallHooks(std::uint64_t limit, const BodySink* sink, util::StopSignal* stop)
      : m_limit(limit), m_sink(sink), m_stop(stop) {}

  void on_status_line(int status) override {
    m_response.status = status;
    m_response.headers.clear();  // a new response (after a 100 Continue, say)
  }
  void on_header(std::pair<std::string, std::string> header) override {
    m_response.headers.push_back(std::move(header));
  }
  bool on_body(std::span<const std::uint8_t> bytes) override {
    // Error bodies (and everything without a sink) are kept in memory, bounded.
    if (m_sink && m_response.status >= 200 && m_response.status <= 299) {
      auto written = (*m_sink)(bytes);
      if (!written) {
        m_sink_error = written.error();
        return false;
      }
      m_delivered += bytes.size();
      return true;
    }
    if (m_response.body.size() + bytes.size() > m_limit) {
      m_over_limit = true;
      return false;
    }
    m_response.body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return true;
  }
  bool on_progress(std::uint64_t) override { return !(m_stop && m_stop->stopped()); }

  HttpResponse m_response;
  std::uint64_t m_limit;
  const BodySink* m_sink;
  util::StopSignal* m_stop;
  std::optional<util::Error> m_sink_error;
  bool m_over_limit = false;
  std::uint64_t m_delivered = 0;
};

util::Error shutting_down() { return {util::Errc::upstream_unreachable, "shutting down"}; }

} // namespace

HttpClient::HttpClient(HttpOptions options, RetryPolicy retry, util::StopSignal* stop,
                       Transferer transferer)
    : m_options(std::move(options)), m_retry(retry), m_stop(stop),
      m_transferer(std::move(transferer)) {}

util::Result<HttpResponse> HttpClient::send(const HttpRequest& request, std::uint64_t limit,
                                            const BodySink* sink) const {
  static util::StopSignal k_never;  // for a client given no stop signal
  util::StopSignal& stop = m_stop ? *m_stop : k_never;
  for (int attempt = 1;; ++attempt) {
    if (stop.stopped()) return tl::unexpected(shutting_down());
    SmallHooks hooks(limit, sink, m_stop);
    auto outcome = m_transferer(m_options, request, hooks);
    if (!outcome) return tl::unexpected(outcome.error());
    if (hooks.m_sink_error) return tl::unexpected(*hooks.m_sink_error);
    if (hooks.m_over_limit) {
      return util::fail(util::Errc::invalid_argument, "larger than " + std::to_string(limit) + " bytes");
    }
    if (stop.stopped()) return tl::unexpected(shutting_down());

    AttemptOutcome attempt_outcome;
    attempt_outcome.idempotent = request.method != "POST" || request.idempotent_post;
    if (outcome->complete) {
      attempt_outcome.status = outcome->status;
      attempt_outcome.retry_after = util::find_header(hooks.m_response.headers, "Retry-After").value_or("");
      attempt_outcome.body = hooks.m_response.body.substr(0, 4096);
    } else {
      attempt_outcome.transport_error = true;
    }
    // A body partly given to the sink cannot be taken back: no retry then.
    const auto decision = hooks.m_delivered > 0
                              ? RetryDecision{}
                              : decide(m_retry, attempt, attempt_outcome,
                                       util::SystemClock::instance().now(), random01());
    if (!decision.retry) {
      if (outcome->complete) {
        hooks.m_response.status = outcome->status;
        return std::move(hooks.m_response);
      }
      return util::fail(outcome->timed_out ? util::Errc::timeout : util::Errc::upstream_unreachable,
                        outcome->detail);
    }
    // The wait a stop ends at once (SIGTERM during a bucket's backoff stops the process now).
    if (!stop.sleep_for(decision.wait)) return tl::unexpected(shutting_down());
  }
}

} // namespace upstream
