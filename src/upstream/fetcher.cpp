#include "upstream/fetcher.hpp"

#include "upstream/signed_url.hpp"
#include "util/clock.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <random>

namespace upstream {

namespace {

// Bodies of answers we will retry are kept only this far, to look for "retry after N s".
constexpr std::size_t k_retry_body_limit = 64 * 1024;

// How often a transfer asks its sink whether it is still wanted (FetchSink::cancelled()).
constexpr auto k_cancel_check_interval = std::chrono::milliseconds(250);

util::Error cancelled_error() {
  return {util::Errc::upstream_unreachable, "cancelled: no client waits for the answer any more"};
}

double random01() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// The start of "bytes START-END/TOTAL".
std::optional<std::uint64_t> content_range_start(std::string_view value) {
  if (value.rfind("bytes ", 0) != 0) return std::nullopt;
  value.remove_prefix(6);
  const auto dash = value.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  return parse_u64(value.substr(0, dash));
}

// "bytes 100-199/1000" -> 1000 (not "*": an unknown length is no use for resuming).
std::optional<std::uint64_t> content_range_total(std::string_view value) {
  const auto slash = value.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return parse_u64(value.substr(slash + 1));
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Request headers a mirror must not pass on: it sets its own framing, encoding and range.
bool dropped_request_header(std::string_view name) {
  static constexpr std::string_view k_names[] = {
      "host", "content-length", "accept-encoding", "range", "if-range", "expect"};
  // (Content-Type stays: a POST body's type is the client's to say.)
  return util::is_hop_by_hop(name) ||
         std::any_of(std::begin(k_names), std::end(k_names),
                     [&](std::string_view n) { return util::iequals(n, name); });
}

enum class Role { undecided, redirect, retry_body, final_body, resume_body, skip_then_body, refused };

// The state of one transfer.
struct Transfer {
  FetchSink* sink = nullptr;
  const FetcherOptions* options = nullptr;
  const util::StopSignal* stop = nullptr;
  // What this transfer is for.
  bool head_published = false;  // by an earlier transfer of this fetch
  bool will_retry_status = false;
  std::uint64_t resume_from = 0;
  bool initial_resume = false;  // resume_from bytes came from before this fetch (no head yet)
  bool drop_resume = false;     // ... and the upstream did not answer the range
  std::string validator;  // ETag or Last-Modified the resumed body must still have
  // What came back.
  int status = 0;
  util::Headers headers;
  Role role = Role::undecided;
  std::string retry_body;
  std::uint64_t skip = 0;
  std::uint64_t body_bytes = 0;  // bytes passed to the sink by this transfer
  util::Result<void> sink_result;
  std::string refusal;  // why a resumed answer was not accepted
  // Filled when the head is published.
  ResponseHead* head = nullptr;
  bool published_now = false;
  // The stall watchdog: (time, bytes received) samples over the last stall_time.
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>> samples;
  bool stalled = false;
  // The sink said nobody wants the response any more (asked a few times a second).
  bool cancelled = false;
  std::chrono::steady_clock::time_point cancel_checked{};
};

void end_of_headers(Transfer& t) {
  if (t.status >= 100 && t.status < 200) return;  // interim; the real head follows
  const auto location = util::find_header(t.headers, "Location");
  if (is_redirect(t.status) && location && !t.head_published) {
    t.role = Role::redirect;
    return;
  }
  if (!t.head_published) {
    if (is_retryable_status(t.status) && t.will_retry_status) {
      t.role = Role::retry_body;
      return;
    }
    t.role = Role::final_body;
    t.head->status = t.status;
    t.head->headers = t.headers;
    const auto chunked = util::find_header(t.headers, "Transfer-Encoding");
    if (const auto length = util::find_header(t.headers, "Content-Length"); length && !chunked) {
      t.head->content_length = parse_u64(*length);
    }
    if (t.initial_resume) {
      // The rest of a body the sink partly holds: accepted only as the exact range, and shown
      // to the sink as the whole entity.
      const auto range = util::find_header(t.headers, "Content-Range");
      const auto total = range ? content_range_total(*range) : std::nullopt;
      if (t.status != 206 || !range || content_range_start(*range) != t.resume_from || !total) {
        t.drop_resume = true;
        t.role = Role::refused;
        t.refusal = "the upstream did not resume at byte " + std::to_string(t.resume_from);
        return;
      }
      t.role = Role::resume_body;
      t.head->status = 200;
      util::remove_header(t.head->headers, "Content-Range");
      util::set_header(t.head->headers, "Content-Length", std::to_string(*total));
      t.head->content_length = *total;
    }
    t.sink->on_head(*t.head);
    t.published_now = true;
    return;
  }
  // A resumed transfer: accept the rest of the same entity only.
  if (is_retryable_status(t.status)) {
    t.role = Role::retry_body;
    return;
  }
  if (t.status == 206) {
    const auto range = util::find_header(t.headers, "Content-Range");
    if (range && content_range_start(*range) == t.resume_from) {
      t.role = Role::resume_body;
      return;
    }
    t.refusal = "resumed answer starts at the wrong byte";
  } else if (t.status == 200) {
    const auto etag = util::find_header(t.headers, "ETag");
    const auto modified = util::find_header(t.headers, "Last-Modified");
    if ((etag && *etag == t.validator) || (!etag && modified && *modified == t.validator)) {
      t.role = Role::skip_then_body;  // no range support: same entity from byte 0
      t.skip = t.resume_from;
      return;
    }
    t.refusal = "the upstream object changed while resuming";
  } else {
    t.refusal = "resume answered " + std::to_string(t.status);
  }
  t.role = Role::refused;
}

void on_status_line(Transfer& t, int status) {
  t.headers.clear();
  t.role = Role::undecided;
  t.status = status;
}

// A body chunk; false aborts the transfer.
bool on_write(Transfer& t, std::span<const std::uint8_t> bytes) {
  const std::size_t n = bytes.size();
  const char* data = reinterpret_cast<const char*>(bytes.data());
  switch (t.role) {
  case Role::undecided:
  case Role::refused: return false;
  case Role::redirect: return true;
  case Role::retry_body: {
    const auto room = k_retry_body_limit - std::min(k_retry_body_limit, t.retry_body.size());
    t.retry_body.append(data, std::min(room, n));
    return true;
  }
  case Role::skip_then_body: {
    const auto skipped = std::min<std::uint64_t>(t.skip, bytes.size());
    t.skip -= skipped;
    bytes = bytes.subspan(skipped);
    if (t.skip == 0) t.role = Role::resume_body;
    break;
  }
  case Role::final_body:
  case Role::resume_body: break;
  }
  if (bytes.empty()) return true;
  t.sink_result = t.sink->on_body(bytes);
  if (!t.sink_result) return false;
  t.body_bytes += bytes.size();
  return true;
}

// Called at least once a second. Aborts (false) when stopping, when the sink no longer wants
// the response, and when fewer than
// min_rate bytes/s arrived over the last stall_time (waiting for the head included): curl's
// own LOW_SPEED check averages over a window of several seconds and fires much later.
bool on_progress(Transfer& t, std::uint64_t received) {
  if (t.stop->stopped()) return false;
  const auto now = std::chrono::steady_clock::now();
  if (now - t.cancel_checked >= k_cancel_check_interval) {
    t.cancel_checked = now;
    if (t.sink->cancelled()) {
      t.cancelled = true;
      return false;
    }
  }
  const auto window = t.options->stall_time;
  t.samples.emplace_back(now, received);
  while (t.samples.size() > 2 && now - t.samples[1].first >= window) t.samples.pop_front();
  const auto& [since, bytes_then] = t.samples.front();
  const double seconds = std::chrono::duration<double>(now - since).count();
  if (now - since >= window &&
      static_cast<double>(received - bytes_then) < static_cast<double>(t.options->min_rate) * seconds) {
    t.stalled = true;
    return false;
  }
  return true;
}

// The box's callbacks onto one Transfer.
class TransferAdapter final : public TransferHooks {
public:
  explicit TransferAdapter(Transfer& t) : m_t(t) {}
  void on_status_line(int status) override { upstream::on_status_line(m_t, status); }
  void on_header(std::pair<std::string, std::string> header) override {
    m_t.headers.push_back(std::move(header));
  }
  bool on_end_of_headers() override {
    end_of_headers(m_t);
    return m_t.role != Role::refused;
  }
  bool on_body(std::span<const std::uint8_t> bytes) override { return on_write(m_t, bytes); }
  bool on_progress(std::uint64_t received) override { return upstream::on_progress(m_t, received); }

private:
  Transfer& m_t;
};

} // namespace

Fetcher::Fetcher(FetcherOptions options, util::Metrics& metrics, util::StopSignal& stop,
                 std::function<void(const ThrottleEvent&)> on_throttle)
    : m_options(std::move(options)), m_metrics(metrics), m_stop(stop),
      m_on_throttle(std::move(on_throttle)), m_limiter(m_options.max_per_host) {
  m_http.ca_file = m_options.ca_file;
  m_http.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(m_options.connect_timeout);
  m_http.user_agent = m_options.user_agent;
  m_http.buffer_size = 256L * 1024L;
  m_http.tcp_keepalive = true;
}

util::Result<FetchResult> Fetcher::fetch(const FetchRequest& request, FetchSink& sink) {
  const auto started = std::chrono::steady_clock::now();
  auto& requests = m_metrics.counter("hubcache_upstream_requests_total",
                                     "Requests sent upstream, retries and redirect hops included");
  auto& retries = m_metrics.counter("hubcache_upstream_retries_total",
                                    "Upstream requests retried after 429/5xx or a broken transfer");
  auto& received = m_metrics.counter("hubcache_upstream_bytes_total",
                                     "Body bytes received from upstreams");

  FetchResult result;
  ResponseHead head;
  Url url = request.url;
  std::string method = request.method;
  int attempt = 1;
  int hops = 0;
  int tries = 0;  // every request this fetch sends: retries, resumes and redirect hops
  std::uint64_t delivered = request.resume_from;  // body bytes the sink holds so far
  bool initial_resume = request.resume_from > 0;
  std::string validator;
  bool head_published = false;

  for (;;) {
    if (m_stop.stopped()) return util::fail(util::Errc::upstream_unreachable, "shutting down");
    if (sink.cancelled()) return tl::unexpected(cancelled_error());
    ++tries;
    Transfer t;
    t.sink = &sink;
    t.options = &m_options;
    t.stop = &m_stop;
    t.head_published = head_published;
    t.will_retry_status = attempt <= m_options.retry.max_retries;
    t.resume_from = delivered;
    t.initial_resume = initial_resume && !head_published;
    t.validator = validator;
    t.head = &head;

    HttpRequest call;
    call.method = method;
    // Credentials go to the origin they were meant for, never to a CDN it redirects to, nor
    // to another port of its host, nor over http after https (issue 14).
    const bool same_origin = url.scheme == request.url.scheme && url.host == request.url.host &&
                             url.port == request.url.port;
    for (const auto& [name, value] : request.headers) {
      if (dropped_request_header(name)) continue;
      if (!same_origin && (util::iequals(name, "Authorization") || util::iequals(name, "Cookie"))) {
        continue;
      }
      call.headers.emplace_back(name, value);
    }
    call.headers.emplace_back("Accept-Encoding", "identity");
    if (same_origin) {
      call.aws_sigv4 = tries > 1 && request.aws_sigv4_renewed ? request.aws_sigv4_renewed() : request.aws_sigv4;
    }
    if (head_published) {
      call.headers.emplace_back("Range", "bytes=" + std::to_string(delivered) + "-");
      call.headers.emplace_back("If-Range", validator);
    } else if (t.initial_resume) {
      // No validator from before: the caller checks the whole body's sha256 at the end.
      call.headers.emplace_back("Range", "bytes=" + std::to_string(delivered) + "-");
    }
    if (method == "POST") call.body = request.body;
    const std::string url_text = url.to_string();
    call.url = url_text;
    TransferAdapter hooks(t);

    util::Result<TransferOutcome> sent;
    {
      auto permit = m_limiter.acquire(url.host, [&] { return m_stop.stopped() || sink.cancelled(); });
      if (!permit) {
        if (m_stop.stopped()) return util::fail(util::Errc::upstream_unreachable, "shutting down");
        return tl::unexpected(cancelled_error());
      }
      requests.add();
      sent = transfer(m_http, call, hooks);
    }
    if (!sent) return tl::unexpected(sent.error());
    const TransferOutcome& outcome_of_transfer = *sent;
    const bool transfer_ok = outcome_of_transfer.complete;
    received.add(t.body_bytes);
    delivered += t.body_bytes;
    result.bytes = delivered;
    if (t.published_now) {
      head_published = true;
      validator = util::find_header(head.headers, "ETag").value_or("");
      if (validator.rfind("W/", 0) == 0) validator.clear();  // weak: not for byte ranges
      if (validator.empty()) validator = util::find_header(head.headers, "Last-Modified").value_or("");
    }
    if (!t.sink_result) return tl::unexpected(t.sink_result.error());
    if (t.cancelled) return tl::unexpected(cancelled_error());
    if (t.drop_resume) {
      // The upstream would not give the rest: start the body over, from the first URL.
      if (auto r = sink.restart(); !r) return tl::unexpected(r.error());
      delivered = 0;
      initial_resume = false;
      url = request.url;
      method = request.method;
      head.redirects.clear();
      hops = 0;
      continue;
    }

    if (transfer_ok && t.role == Role::redirect) {
      auto next = resolve_url(url, util::find_header(t.headers, "Location").value_or(""));
      // An allowed origin only (not any port of an allowed host), and no downgrade to http.
      bool follow = next && allowed(m_options.allow, *next) &&
                    !(url.scheme == "https" && next->scheme == "http");
      head.stopped_at.reset();
      if (follow && request.follow_redirect &&
          !request.follow_redirect(Hop{t.status, t.headers, redact_url(url_text)}, *next)) {
        follow = false;
        head.stopped_at = *next;
      }
      if (follow && ++hops <= m_options.max_redirects) {
        head.redirects.push_back({t.status, t.headers, redact_url(url_text)});
        if (t.status == 303) method = "GET";
        url = *next;
        continue;
      }
      // Not ours to follow: the redirect itself is the answer, as the upstream gave it.
      t.role = Role::undecided;
      t.head_published = false;
      t.will_retry_status = false;
      head.status = t.status;
      head.headers = t.headers;
      head.url = redact_url(url_text);
      head.content_length = 0;
      sink.on_head(head);
      ++result.attempts;
      result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      return result;
    }
    ++result.attempts;
    if (t.published_now) head.url = redact_url(url_text);
    const bool body_done = transfer_ok && (t.role == Role::final_body ||
                                                t.role == Role::resume_body);
    if (body_done) {
      result.resumed = result.resumed || attempt > 1;
      result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      return result;
    }
    if (m_stop.stopped()) return util::fail(util::Errc::upstream_unreachable, "shutting down");

    // Something failed: decide whether and when to try again.
    AttemptOutcome outcome;
    outcome.idempotent = method == "GET" || method == "HEAD" || request.idempotent_post;
    std::string error;
    if (t.role == Role::retry_body && transfer_ok) {
      outcome.status = t.status;
      outcome.retry_after = util::find_header(t.headers, "Retry-After").value_or("");
      outcome.body = t.retry_body;
    } else {
      outcome.transport_error = true;
      error = t.role == Role::refused ? t.refusal
              : t.stalled ? "stalled: under " + std::to_string(m_options.min_rate) +
                                " bytes/s for " + std::to_string(m_options.stall_time.count()) + " s"
                          : outcome_of_transfer.error;
    }
    if (head_published && (validator.empty() || t.role == Role::refused)) {
      return util::fail(util::Errc::upstream_unreachable,
                        "upstream body broke at byte " + std::to_string(delivered) + " of " +
                            redact_url(url_text) + " and cannot be resumed: " +
                            (validator.empty() ? "no ETag or Last-Modified" : error));
    }
    const auto decision = decide(m_options.retry, attempt, outcome, util::SystemClock::instance().now(),
                                 random01());
    if (!decision.retry) {
      const auto errc = outcome_of_transfer.timed_out || t.stalled
                            ? util::Errc::timeout
                            : util::Errc::upstream_unreachable;
      return util::fail(errc, (head_published ? "upstream body broke at byte " +
                                                    std::to_string(delivered) + " of "
                                              : std::string("cannot fetch ")) +
                                  redact_url(url_text) + ": " + error + " (after " +
                                  std::to_string(attempt) + " attempts)");
    }
    retries.add();
    if (m_on_throttle) {
      m_on_throttle({redact_url(url_text), attempt, outcome.status, error, decision.wait, decision.source});
    }
    // In steps, so a sink that stops wanting the answer is heard while waiting.
    for (auto left = decision.wait; left.count() > 0;) {
      const auto step = std::min<std::chrono::milliseconds>(left, std::chrono::seconds(1));
      if (!m_stop.sleep_for(step)) {
        return util::fail(util::Errc::upstream_unreachable, "shutting down");
      }
      if (sink.cancelled()) return tl::unexpected(cancelled_error());
      left -= step;
    }
    ++attempt;
    // A retry before the head starts over at the first URL; a resume goes where the body was.
    if (!head_published) {
      url = request.url;
      method = request.method;
      head.redirects.clear();
      hops = 0;
    }
  }
}

} // namespace upstream
