#include "http/connection.hpp"
#include "http/tunnel.hpp"

#include "http/header_check.hpp"
#include "http/range.hpp"
#include "http/request_checks.hpp"
#include "util/clock.hpp"
#include "util/percent.hpp"

#include <cerrno>
#include <cstdio>
#include <exception>
#include <mutex>
#include <sys/sendfile.h>
#include <sys/socket.h>

namespace http {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto k_no_deadline = Clock::time_point::max();
// A growing body is re-checked at least this often, whatever the notifications say.
constexpr auto k_growing_poll = std::chrono::milliseconds(500);

// Headers the server writes itself: framing belongs to this hop.
bool server_owned(std::string_view name) {
  return util::iequals(name, "Content-Length") || util::iequals(name, "Transfer-Encoding") ||
         util::iequals(name, "Connection") || util::iequals(name, "Keep-Alive") ||
         util::iequals(name, "X-Hubcache");
}

// Bodies up to this size are read into memory and sent with the head.
constexpr std::uint64_t k_inline_body_limit = 64 * 1024;

// The head as it goes on the wire (what Beast's serializer writes), made without a stream:
// on a hit this is most of the user-space work.
std::string header_text(const bhttp::response<bhttp::empty_body>& res) {
  std::string out;
  out.reserve(512);
  out.append("HTTP/1.1 ").append(std::to_string(res.result_int())).append(" ");
  const auto reason = res.reason();
  out.append(reason.data(), reason.size()).append("\r\n");
  for (const auto& field : res.base()) {
    const auto name = field.name_string();
    const auto value = field.value();
    out.append(name.data(), name.size()).append(": ").append(value.data(), value.size()).append("\r\n");
  }
  out.append("\r\n");
  return out;
}

std::string chunk_header(std::uint64_t size) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%llx\r\n", static_cast<unsigned long long>(size));
  return buffer;
}

} // namespace

ResponseCounters::ResponseCounters(util::Metrics& metrics) : m_metrics(metrics) {
  const auto requests = [&](const char* cache) {
    return &metrics.counter("hubcache_requests_total", "Responses by cache result",
                            {{"cache", cache}});
  };
  m_hit = requests("hit");
  m_stored = requests("stored");
  m_miss = requests("miss");
  m_stale = requests("stale");
  m_none = requests("none");
  const auto bytes = [&](const char* source) {
    return &metrics.counter("hubcache_served_bytes_total",
                            "Body bytes sent to clients, by where they came from",
                            {{"source", source}});
  };
  m_from_store = bytes("store");
  m_from_upstream = bytes("upstream");
  m_from_remote = bytes("remote");
  m_generated = bytes("generated");
}

util::Counter& ResponseCounters::requests(const std::string& cache) {
  if (cache == "hit") return *m_hit;
  if (cache == "stored") return *m_stored;
  if (cache == "miss") return *m_miss;
  if (cache == "stale") return *m_stale;
  if (cache.empty()) return *m_none;
  return m_metrics.counter("hubcache_requests_total", "Responses by cache result",
                           {{"cache", cache}});
}

util::Counter& ResponseCounters::served_bytes(const std::string& source) {
  if (source == "store") return *m_from_store;
  if (source == "upstream") return *m_from_upstream;
  if (source == "remote") return *m_from_remote;
  return *m_generated;
}

void ServerContext::notice(const std::string& line) const {
  if (options.notice) {
    options.notice(line);
  } else {
    std::fprintf(stderr, "hubcache: %s\n", line.c_str());
  }
}

Connection::Connection(tcp::socket socket, Strand strand, ServerContext& context,
                       std::string tunnel_origin)
    : m_socket(std::move(socket)), m_strand(std::move(strand)), m_context(context),
      m_watchdog_timer(m_strand), m_deadline(k_no_deadline),
      m_tunnel_origin(std::move(tunnel_origin)) {
  ++m_context.active;
}

Connection::~Connection() {
  if (m_counted) --m_context.active;
}

// Each coroutine keeps the connection alive through a member, not a parameter: GCC 12
// destroys by-value coroutine parameters (a shared_ptr here) twice, and a lambda
// coroutine's captures die with the lambda, before the coroutine ends.
void Connection::start() {
  m_serving = shared_from_this();
  m_watching = shared_from_this();
  asio::co_spawn(m_strand, serve(), asio::detached);
  asio::co_spawn(m_strand, watchdog(), asio::detached);
}

void Connection::close_if_idle() {
  asio::post(m_strand, [self = shared_from_this()] {
    if (self->m_idle && !self->m_closed) {
      boost::system::error_code ignored;
      self->m_socket.cancel(ignored);
      self->m_socket.close(ignored);
      self->m_closed = true;
    }
  });
}

void Connection::release_after_stop() {
  m_serving.reset();
  m_watching.reset();
}

void Connection::set_deadline(std::chrono::seconds from_now) { m_deadline = Clock::now() + from_now; }
void Connection::clear_deadline() { m_deadline = k_no_deadline; }

// Enforces the current deadline: a client that sends or reads too slowly is cut off.
awaitable<void> Connection::watchdog() {
  while (!m_closed) {
    m_watchdog_timer.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await m_watchdog_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (!m_closed && Clock::now() > m_deadline) {
      m_context.metrics.counter("hubcache_client_timeouts_total",
                                "Connections closed because the client was too slow").add();
      boost::system::error_code ignored;
      m_socket.cancel(ignored);
      m_socket.close(ignored);
      m_closed = true;
    }
  }
  auto last_reference = std::move(m_watching);
}

void Connection::abort() {
  if (m_closed) return;
  // SO_LINGER 0 makes close() send RST: the client sees an error, never a clean end.
  boost::system::error_code ignored;
  m_socket.set_option(asio::socket_base::linger(true, 0), ignored);
  m_socket.close(ignored);
  m_closed = true;
}

awaitable<void> Connection::reject(int status, const std::string& why) {
  m_context.metrics
      .counter("hubcache_bad_requests_total", "Requests refused as malformed or too large",
               {{"status", std::to_string(status)}})
      .add();
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.set(bhttp::field::connection, "close");
  res.body() = why + "\n";
  res.prepare_payload();
  set_deadline(m_context.options.write_timeout);
  boost::system::error_code ec;
  co_await bhttp::async_write(m_socket, res, asio::redirect_error(use_awaitable, ec));
  m_socket.shutdown(tcp::socket::shutdown_send, ec);
  m_socket.close(ec);
  m_closed = true;
}

namespace {

// Where a handler's answer meets the connection waiting for it. A handler that answers at
// once (every hit) fills `ready` before dispatch() returns, and the connection goes on
// without suspending; one that answers later (a fetch) finds `resume` set and posts it.
struct PendingResponse {
  std::mutex mutex;
  bool answered = false;  // the first answer wins; a later one is dropped
  std::optional<Response> ready;
  std::function<void(Response)> resume;
};

} // namespace

// GCC 12 destroys the temporaries of a co_await full-expression twice (and by-value
// coroutine parameters captured by a lambda likewise). So the initiation below captures only
// pointers, trivially destructible; the strand and the pending state outlive the call.
awaitable<Response> Connection::dispatch(const Request& request) {
  auto pending = std::make_shared<PendingResponse>();
  Respond respond = [pending, strand = m_strand](Response response) {
    std::unique_lock lock(pending->mutex);
    if (pending->answered) return;
    pending->answered = true;
    if (!pending->resume) {
      pending->ready = std::move(response);
      return;
    }
    auto resume = std::move(pending->resume);
    lock.unlock();
    asio::post(strand, [resume = std::move(resume), response = std::move(response)]() mutable {
      resume(std::move(response));
    });
  };
  // A handler that throws (a bug, or input nobody foresaw) costs its request a 500, never
  // the server (issue 14): exceptions must not leave a coroutine on the io_context's threads.
  std::optional<std::string> failure;
  try {
    m_context.router.dispatch(request, respond);
  } catch (const std::exception& error) {
    failure = error.what();
  } catch (...) {
    failure = "an unknown exception";
  }
  if (failure) {
    m_context.metrics
        .counter("hubcache_internal_errors_total",
                 "Requests whose handler failed with an exception (answered 500)")
        .add();
    m_context.notice("internal error answering " + request.method + " " +
                     util::percent_encode_controls(request.target) + ": " +
                     util::percent_encode_controls(*failure));
    respond(Response::text(500, "hubcache: internal error (see the server's log)\n"));
  }
  {
    std::lock_guard lock(pending->mutex);
    if (pending->ready) co_return std::move(*pending->ready);
  }
  // The answer will take a while (a fetch): a client that hangs up meanwhile must be seen,
  // or its fetch runs on for nobody (issue 14).
  const std::uint64_t watched = ++m_dispatches;
  if (m_presence) {
    m_watched_dispatch = watched;
    watch_client(watched);
  }
  PendingResponse* state = pending.get();
  const Strand* strand = &m_strand;
  auto initiation = [state, strand](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    std::unique_lock lock(state->mutex);
    if (state->ready) {  // answered between our check and now
      auto response = std::move(*state->ready);
      lock.unlock();
      asio::post(*strand, [shared, response = std::move(response)]() mutable {
        (*shared)(std::move(response));
      });
      return;
    }
    state->resume = [shared](Response response) { (*shared)(std::move(response)); };
  };
  Response answered = co_await asio::async_initiate<decltype(use_awaitable), void(Response)>(
      std::move(initiation), use_awaitable);
  if (m_watched_dispatch == watched) {
    m_watched_dispatch = 0;
    boost::system::error_code ignored;
    if (!m_closed) m_socket.cancel(ignored);  // ends the wait in watch_client()
  }
  co_return answered;
}

// A readable socket while no request is due: EOF or an error means the client hung up;
// bytes mean a pipelined request (the client is there, and nothing more can be learned
// without reading it). recv with MSG_PEEK leaves the bytes for the next read.
void Connection::watch_client(std::uint64_t dispatch) {
  m_socket.async_wait(tcp::socket::wait_read, [self = shared_from_this(), dispatch](
                                                  const boost::system::error_code& ec) {
    if (ec || self->m_closed || self->m_watched_dispatch != dispatch) return;
    char byte;
    const ssize_t n = ::recv(self->m_socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      self->watch_client(dispatch);
      return;
    }
    self->m_watched_dispatch = 0;
    if (self->m_presence) self->m_presence->mark_gone();
    // Its descriptor is free at once, not when the answer it no longer waits for comes.
    boost::system::error_code ignored;
    self->m_socket.close(ignored);
    self->m_closed = true;
  });
}

awaitable<void> Connection::serve() {
  m_socket.native_non_blocking(true);
  boost::system::error_code peer_ec;
  const auto peer = m_socket.remote_endpoint(peer_ec);
  if (!peer_ec) m_peer = peer.address().to_string() + ":" + std::to_string(peer.port());
  bool first = true;
  while (!m_closed) {
    m_idle = true;
    if (m_context.draining) break;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(m_context.options.header_limit));
    parser.body_limit(m_context.options.body_limit);
    set_deadline(first ? m_context.options.header_timeout : m_context.options.idle_timeout);
    first = false;
    boost::system::error_code ec;
    co_await bhttp::async_read_header(m_socket, m_buffer, parser,
                                      asio::redirect_error(use_awaitable, ec));
    m_idle = false;
    if (!ec && !parser.is_done()) {
      set_deadline(m_context.options.header_timeout);
      co_await bhttp::async_read(m_socket, m_buffer, parser, asio::redirect_error(use_awaitable, ec));
    }
    if (ec) {
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor ||
          ec == asio::error::connection_reset || m_closed) {
        break;
      }
      // Named, not a temporary of the co_await expression (see dispatch()).
      const Refusal read_refusal = refusal_for(ec, m_context.options);
      co_await reject(read_refusal.status, read_refusal.why);
      break;
    }
    auto& req = parser.get();
    const bool wants_keep_alive = req.keep_alive();
    auto converted = to_request(req, m_context.options);
    if (auto* check_refusal = std::get_if<Refusal>(&converted)) {
      const Refusal named = *check_refusal;
      co_await reject(named.status, named.why);
      break;
    }
    Request request = std::get<Request>(std::move(converted));
    request.peer = m_peer;
    m_presence = std::make_shared<ClientPresence>();
    request.presence = m_presence;
    if (!m_tunnel_origin.empty() && request.target.front() == '/') {
      request.target = m_tunnel_origin + request.target;
    }
    if (request.method == "CONNECT") {
      if (!m_tunnel_origin.empty() || !m_context.options.tls_identities) {
        const std::string why = "hubcache: CONNECT is not available here";
        co_await reject(405, why);
        break;
      }
      // The host names a certificate and a cache slot: it is a DNS name or an IP literal
      // before anything else sees it (issue 14: "a,DNS:*.example.com" minted a wildcard).
      const std::optional<util::Authority> authority = util::parse_authority(request.target);
      if (!authority) {
        const std::string not_a_host =
            "hubcache: CONNECT takes host:port, the host a DNS name or an IP address";
        co_await reject(400, not_a_host);
        break;
      }
      // The router decides (allowed host or 403); an allowed one becomes a tunnel.
      clear_deadline();
      Response verdict = co_await dispatch(request);
      if (verdict.status == 200) {
        co_await open_tunnel(*authority);
        break;
      }
      AccessRecord refused;
      refused.ts = util::SystemClock::instance().now();
      refused.method = request.method;
      refused.url = request.target;
      co_await send(request, verdict, false, refused);
      if (m_context.log) m_context.log(refused);
      break;
    }
    const bool keep_alive = wants_keep_alive && !m_context.draining;

    AccessRecord record;
    record.ts = util::SystemClock::instance().now();
    record.method = request.method;
    record.url = request.target;
    const auto started = Clock::now();

    clear_deadline();  // the handler may wait for an upstream; that is not the client's fault
    Response response = co_await dispatch(request);
    const bool ok = co_await send(request, response, keep_alive, record);

    record.ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    if (!record.upstream_ms) record.upstream_ms = response.upstream_ms;
    if (auto* growing = std::get_if<std::shared_ptr<GrowingBody>>(&response.body)) {
      record.upstream_ms = (*growing)->upstream_ms();
      if (auto final_cache = (*growing)->final_cache()) record.cache = *final_cache;
    }
    // A growing body comes from the upstream, or from the remote tier on a remote hit.
    record.source = std::holds_alternative<FileBody>(response.body) ? "store"
                    : std::holds_alternative<std::shared_ptr<GrowingBody>>(response.body)
                        ? (response.cache == "remote" ? "remote" : "upstream")
                        : "generated";
    m_context.counters.requests(record.cache).add();
    m_context.counters.served_bytes(record.source).add(record.bytes);
    if (m_context.log) m_context.log(record);
    if (!ok || !keep_alive) break;
  }
  if (!m_closed) {
    boost::system::error_code ignored;
    m_socket.shutdown(tcp::socket::shutdown_send, ignored);
    m_socket.close(ignored);
    m_closed = true;
  }
  m_watchdog_timer.cancel();
  --m_context.active;  // the slot is free now, not when the last reference goes
  m_counted = false;
  auto last_reference = std::move(m_serving);
}

awaitable<void> Connection::open_tunnel(const util::Authority& authority) {
  const std::string& host = authority.host.text();
  std::shared_ptr<asio::ssl::context> tls;
  {
    std::lock_guard lock(m_context.tls_mutex);
    if (auto* cached = m_context.tls_contexts.find(host)) {
      tls = std::static_pointer_cast<asio::ssl::context>(*cached);
    } else if (auto identity = m_context.options.tls_identities(authority.host)) {
      if (auto made = make_tls_context(*identity)) {
        tls = *made;
        m_context.tls_contexts.put(host, tls);
      }
    }
  }
  if (!tls) {
    const std::string why = "hubcache: no TLS identity for " + host;
    co_await reject(502, why);
    co_return;
  }
  static constexpr char k_established[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
  set_deadline(m_context.options.write_timeout);
  const bool written = co_await write_all(asio::buffer(k_established, sizeof k_established - 1));
  clear_deadline();
  if (!written || m_buffer.size() != 0) {
    // A client that sent bytes before our 200 is not speaking the protocol.
    abort();
    co_return;
  }
  // The origin keeps the port only when it is not 443.
  const std::string origin = "https://" + authority.host.url_host() +
                             (authority.port == 443 ? "" : ":" + std::to_string(authority.port));
  auto tunnel = std::make_shared<Tunnel>(std::move(m_socket), m_strand, m_context, tls, origin);
  m_closed = true;  // the socket is the tunnel's now
  if (m_context.adopt) m_context.adopt(tunnel);
  tunnel->start();
}

awaitable<bool> Connection::send(const Request& request, Response& response, bool keep_alive,
                                 AccessRecord& record) {
  // GCC 12 miscompiles coroutine locals that share a name across scopes: every local in
  // this coroutine has a name of its own.
  const bool head_only = request.method == "HEAD";
  const std::optional<std::string> range_header = request.header("Range");
  int status = response.status;
  record.cache = response.cache;
  record.optional = response.optional;

  // What the body is and how long, when known.
  std::optional<std::uint64_t> size;
  std::shared_ptr<GrowingBody> growing;
  if (auto* text = std::get_if<std::string>(&response.body)) size = text->size();
  if (auto* file = std::get_if<FileBody>(&response.body)) size = file->size;
  if (auto* g = std::get_if<std::shared_ptr<GrowingBody>>(&response.body)) {
    growing = *g;
    auto state = growing->state();
    // A range of a body of unknown length: wait until its length is known.
    while (range_header && status == 200 && !head_only && !state.total && !state.complete &&
           !state.failed && !m_closed) {
      co_await wait_for_change(*growing, state);
      state = growing->state();
    }
    if (state.failed) {
      abort();
      record.aborted = true;
      co_return false;
    }
    size = state.total ? state.total : (state.complete ? std::optional(state.available) : std::nullopt);
  }
  const bool has_body = !std::holds_alternative<std::monostate>(response.body);

  // Range applies to whole 200 answers whose size we know.
  std::uint64_t first = 0;
  std::optional<std::uint64_t> count = size;
  bhttp::response<bhttp::empty_body> res;
  std::optional<std::string> content_range;
  if (range_header && status == 200 && has_body && size &&
      (request.method == "GET" || request.method == "HEAD")) {
    const auto range = parse_range(*range_header, *size);
    if (range.kind == RangeKind::satisfiable) {
      status = 206;
      first = range.range.first;
      count = range.range.length();
      content_range = "bytes " + std::to_string(range.range.first) + "-" +
                      std::to_string(range.range.last) + "/" + std::to_string(*size);
    } else if (range.kind == RangeKind::unsatisfiable) {
      status = 416;
      count = 0;
      content_range = "bytes */" + std::to_string(*size);
    }
  }

  res.version(11);
  res.result(static_cast<unsigned>(status));
  for (const auto& [name, value] : response.headers) {
    if (!server_owned(name) && writable(request, name, value)) res.insert(name, value);
  }
  if (!response.cache.empty() && writable(request, "X-Hubcache", response.cache)) {
    res.set("X-Hubcache", response.cache);
  }
  if (content_range) res.set(bhttp::field::content_range, *content_range);
  if (has_body && size && response.status == 200) res.set(bhttp::field::accept_ranges, "bytes");
  const bool chunked = has_body && !count && !head_only;
  if (status == 416) {
    res.content_length(0);
  } else if (count) {
    res.content_length(*count);
  } else if (has_body) {
    if (!head_only) res.chunked(true);
  } else if (auto length = util::find_header(response.headers, "Content-Length");
             length && head_only && writable(request, "Content-Length", *length)) {
    res.set(bhttp::field::content_length, *length);  // a recorded HEAD: the entity's length
  } else {
    res.content_length(0);
  }
  res.keep_alive(keep_alive);
  record.status = status;

  set_deadline(m_context.options.write_timeout);
  // A small body goes out in the same write as the head: one syscall and one TCP segment
  // instead of two (a quarter of the cost of a 4 KiB hit). So does a head with no body.
  auto* small_file = std::get_if<FileBody>(&response.body);
  auto* small_text = std::get_if<std::string>(&response.body);
  const bool body_sent = has_body && !head_only && status != 416;
  const bool inline_body = body_sent && (small_file || small_text) && count && *count <= k_inline_body_limit;
  if (!body_sent || inline_body) {
    std::string head_and_body = header_text(res);
    const std::size_t head_size = head_and_body.size();
    if (inline_body && small_text) {
      head_and_body.append(*small_text, static_cast<std::size_t>(first), static_cast<std::size_t>(*count));
    } else if (inline_body) {
      head_and_body.resize(head_size + *count);
      std::size_t got = 0;
      while (got < *count) {
        const ssize_t n = ::pread(small_file->fd, head_and_body.data() + head_size + got,
                                  *count - got, static_cast<off_t>(first + got));
        if (n <= 0 && errno == EINTR) continue;
        if (n <= 0) co_return false;  // the file is shorter than it claims
        got += static_cast<std::size_t>(n);
      }
    }
    const bool sent = co_await write_all(asio::buffer(head_and_body));
    if (sent && inline_body) record.bytes += *count;
    co_return sent;
  }
  bhttp::response_serializer<bhttp::empty_body> serializer(res);
  boost::system::error_code ec;
  co_await bhttp::async_write_header(m_socket, serializer, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return false;
  if (head_only || status == 416 || !has_body) co_return true;

  bool ok = true;
  if (auto* text = std::get_if<std::string>(&response.body)) {
    ok = co_await send_text(*text, first, *count, record);
  } else if (auto* file = std::get_if<FileBody>(&response.body)) {
    ok = co_await send_file(file->fd, first, *count, false, record);
  } else if (growing) {
    std::optional<std::uint64_t> last;
    if (count) last = first + *count - 1;
    ok = co_await send_growing(*growing, first, last, chunked, record);
    if (!ok && !m_closed) {
      abort();  // a broken upstream body: never end it cleanly
      record.aborted = true;
    }
  }
  if (ok && chunked) ok = co_await write_all(asio::buffer("0\r\n\r\n", 5));
  co_return ok;
}

// Beast writes a header as it is given; the check is ours, at the last point before the wire.
bool Connection::writable(const Request& request, std::string_view name, std::string_view value) {
  if (is_header_name(name) && is_header_value(value)) return true;
  m_context.metrics
      .counter("hubcache_unsafe_headers_dropped_total",
               "Response headers not written: a name that is no token, or a control character "
               "(CR, LF, NUL...) in the value")
      .add();
  m_context.notice("dropped the response header " +
                   util::percent_encode_controls(std::string(name)) + " to " + request.method +
                   " " + util::percent_encode_controls(request.target) +
                   (is_header_name(name) ? ": its value holds a control character"
                                         : ": its name is not an HTTP token"));
  return false;
}

awaitable<bool> Connection::write_all(asio::const_buffer buffer) {
  set_deadline(m_context.options.write_timeout);
  boost::system::error_code ec;
  co_await asio::async_write(m_socket, buffer, asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

awaitable<bool> Connection::send_text(const std::string& text, std::uint64_t first,
                                      std::uint64_t count, AccessRecord& record) {
  const bool ok = co_await write_all(asio::buffer(text.data() + first, count));
  if (ok) record.bytes += count;
  co_return ok;
}

awaitable<bool> Connection::send_file(int fd, std::uint64_t offset, std::uint64_t count,
                                      bool chunked, AccessRecord& record) {
  if (chunked) {
    const auto header = chunk_header(count);
    if (!co_await write_all(asio::buffer(header))) co_return false;
  }
  auto off = static_cast<off_t>(offset);
  std::uint64_t left = count;
  while (left > 0) {
    set_deadline(m_context.options.write_timeout);
    const auto step = static_cast<std::size_t>(std::min<std::uint64_t>(left, 1u << 30));
    const ssize_t n = ::sendfile(m_socket.native_handle(), fd, &off, step);
    if (n > 0) {
      left -= static_cast<std::uint64_t>(n);
      record.bytes += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) co_return false;  // the file is shorter than it claims
    if (errno == EINTR) continue;
    if (errno != EAGAIN) co_return false;
    boost::system::error_code ec;
    co_await m_socket.async_wait(tcp::socket::wait_write, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
  }
  if (chunked) co_return co_await write_all(asio::buffer("\r\n", 2));
  co_return true;
}

awaitable<void> Connection::wait_for_change(GrowingBody& body, const GrowingBody::State& seen) {
  // The timer is shared with the wake-up, which may come from the fetch thread after we
  // stopped waiting (the poll bound expired first).
  auto timer = std::make_shared<asio::steady_timer>(m_strand);
  timer->expires_after(k_growing_poll);
  body.when_changed(seen, [timer, strand = m_strand] {
    asio::post(strand, [timer] { timer->cancel(); });
  });
  boost::system::error_code ec;
  co_await timer->async_wait(asio::redirect_error(use_awaitable, ec));
}

awaitable<bool> Connection::send_growing(GrowingBody& body, std::uint64_t first,
                                         std::optional<std::uint64_t> last, bool chunked,
                                         AccessRecord& record) {
  std::uint64_t position = first;
  for (;;) {
    if (m_closed) co_return false;
    const auto state = body.state();
    if (state.failed) co_return false;
    std::uint64_t limit = state.available;
    if (last) limit = std::min(limit, *last + 1);
    if (position < limit) {
      if (!co_await send_file(body.fd(), position, limit - position, chunked, record)) {
        co_return false;
      }
      position = limit;
      continue;
    }
    if (last && position > *last) co_return true;
    if (state.complete) co_return !last || position > *last;
    clear_deadline();  // waiting for the upstream, not for the client
    co_await wait_for_change(body, state);
  }
}

} // namespace http
