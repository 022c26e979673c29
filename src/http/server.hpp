// The HTTP/1.1 server: accepts connections, reads requests within limits, hands them to the
// router, and sends the answers (sendfile, Range, bodies still being fetched). Beast and
// Asio stay in server.cpp and connection.cpp.
#pragma once

#include "http/message.hpp"
#include "http/router.hpp"
#include "util/host_name.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace http {

// A TLS identity (PEM) the server presents for a host a client CONNECTs to.
struct TlsIdentity {
  std::string certificate_pem;
  std::string key_pem;
};
// The identity for `host`, or std::nullopt to refuse the tunnel. Called from any thread.
using TlsIdentities = std::function<std::optional<TlsIdentity>(const util::HostName& host)>;
// Takes one line for the operator (stderr); called from any thread.
using Notice = std::function<void(const std::string& line)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  int threads = 2;
  std::size_t max_connections = 1024;
  std::size_t header_limit = 16 * 1024;  // bytes of request line + headers
  std::size_t max_header_count = 100;
  std::size_t body_limit = 1024 * 1024;
  std::chrono::seconds header_timeout{30};  // to receive a whole request head
  std::chrono::seconds idle_timeout{60};    // between requests on a kept-alive connection
  std::chrono::seconds write_timeout{60};   // without progress while sending
  std::chrono::seconds drain_timeout{10};   // for in-flight responses after stop()
  // CONNECT: when the router answers it 200, the server terminates TLS with this identity
  // and serves the tunnel's requests as absolute-form https:// requests. Unset: no CONNECT.
  TlsIdentities tls_identities;
  // Where the server reports what it refused to write or a handler that threw; unset:
  // "hubcache: " lines on stderr.
  Notice notice;
};

using AccessLog = std::function<void(const AccessRecord&)>;

class Server {
public:
  Server(ServerOptions options, const Router& router, util::Metrics& metrics, AccessLog log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns the port. Errc::io if the address is taken or invalid. With
  // `handle_signals`, SIGINT and SIGTERM stop the server from now on.
  util::Result<int> listen(bool handle_signals);
  // Serves until stop() (or a signal), then lets in-flight responses finish for up to
  // drain_timeout. Calls `on_stop` when stopping begins.
  void run(std::function<void()> on_stop);
  // Safe from any thread.
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace http
