// One client connection: read a request, dispatch it, send the answer, keep alive.
// Internal to src/http.
#pragma once

#include "http/asio.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "util/host_name.hpp"
#include "util/lru_map.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace http {

// The per-response counters, looked up once: a registry lookup takes a lock.
class ResponseCounters {
public:
  explicit ResponseCounters(util::Metrics& metrics);
  util::Counter& requests(const std::string& cache);    // by X-Hubcache value, "" -> none
  util::Counter& served_bytes(const std::string& source);

private:
  util::Metrics& m_metrics;
  util::Counter* m_hit;
  util::Counter* m_stored;
  util::Counter* m_miss;
  util::Counter* m_stale;
  util::Counter* m_none;
  util::Counter* m_from_store;
  util::Counter* m_from_upstream;
  util::Counter* m_from_remote;
  util::Counter* m_generated;
};

// What the server tracks to drain and free: client connections and TLS tunnels.
class Session {
public:
  virtual ~Session() = default;
  // Closes the session if it is between requests (used when draining). Any thread.
  virtual void close_if_idle() = 0;
  // Drops the references the coroutines hold, for a server whose loop has stopped with this
  // session still running: its coroutines will never resume to drop them.
  virtual void release_after_stop() = 0;
};

// TLS contexts kept for CONNECT tunnels. Each holds a leaf's key and certificate and
// OpenSSL's per-context state (tens of KB); making one again costs a leaf lookup and a key
// load, well under a millisecond. 512 keeps every host a real suite tunnels to while
// bounding what a client CONNECTing to endless names can make the server hold (issue 14:
// 6,000 hosts took 135 MB when contexts were kept forever). Tunnels hold their own
// reference, so evicting one never breaks a tunnel in use.
constexpr std::size_t k_max_tls_contexts = 512;

// What every connection of one server shares.
struct ServerContext {
  ServerOptions options;
  const Router& router;
  util::Metrics& metrics;
  AccessLog log;
  ResponseCounters counters{metrics};
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> active{0};
  // Registers a session made after the accept (a tunnel, its inner connection) for the drain.
  std::function<void(const std::shared_ptr<Session>&)> adopt{};
  // A new strand on the server's io_context.
  std::function<Strand()> new_strand{};
  // The TLS contexts made for CONNECT tunnels, by host (loading keys is slow), the ones
  // used last only.
  std::mutex tls_mutex{};
  // asio::ssl::context, by host text
  util::LruMap<std::string, std::shared_ptr<void>> tls_contexts{k_max_tls_contexts};

  // One line for the operator: options.notice, else stderr.
  void notice(const std::string& line) const;
};

class Connection : public Session, public std::enable_shared_from_this<Connection> {
public:
  // `tunnel_origin` ("https://host[:port]"): this connection carries the requests of a
  // CONNECT tunnel; their origin-form targets are made absolute with it.
  Connection(tcp::socket socket, Strand strand, ServerContext& context,
             std::string tunnel_origin = {});
  ~Connection() override;
  // Runs the connection to its end on its strand.
  void start();
  void close_if_idle() override;
  void release_after_stop() override;

  awaitable<void> serve();
  awaitable<void> watchdog();

private:
  awaitable<Response> dispatch(const Request& request);
  // While a dispatch is pending: marks the client gone (m_presence) and closes the socket
  // when it hangs up. Runs on the strand.
  void watch_client(std::uint64_t dispatch);
  // Sends `response` for `request`; false if the connection must close (error, abort).
  awaitable<bool> send(const Request& request, Response& response, bool keep_alive,
                       AccessRecord& record);
  awaitable<bool> send_text(const std::string& text, std::uint64_t first, std::uint64_t count,
                            AccessRecord& record);
  awaitable<bool> send_file(int fd, std::uint64_t offset, std::uint64_t count, bool chunked,
                            AccessRecord& record);
  awaitable<bool> send_growing(GrowingBody& body, std::uint64_t first,
                               std::optional<std::uint64_t> last, bool chunked,
                               AccessRecord& record);
  awaitable<bool> write_all(asio::const_buffer buffer);
  awaitable<void> wait_for_change(GrowingBody& body, const GrowingBody::State& seen);
  awaitable<void> reject(int status, const std::string& why);
  // After a CONNECT the router allowed: says 200 and hands the socket to a TLS tunnel.
  awaitable<void> open_tunnel(const util::Authority& authority);
  // Whether a header may go on the wire; if not, counts and notes that it was dropped.
  bool writable(const Request& request, std::string_view name, std::string_view value);
  void abort();
  void set_deadline(std::chrono::seconds from_now);
  void clear_deadline();

  tcp::socket m_socket;
  Strand m_strand;
  ServerContext& m_context;
  asio::steady_timer m_watchdog_timer;
  std::shared_ptr<Connection> m_serving;   // alive while serve() runs
  std::shared_ptr<Connection> m_watching;  // alive while watchdog() runs
  bool m_counted = true;                   // still counted in m_context.active
  beast::flat_buffer m_buffer;
  std::chrono::steady_clock::time_point m_deadline;
  std::string m_peer;  // "address:port" of the client
  bool m_idle = true;  // waiting for the next request
  bool m_closed = false;
  std::string m_tunnel_origin;
  // The current request's client, as its handler sees it (Request::presence), and the
  // dispatch being watched for a hang-up (0: none).
  std::shared_ptr<ClientPresence> m_presence;
  std::uint64_t m_watched_dispatch = 0;
  std::uint64_t m_dispatches = 0;
};

} // namespace http
