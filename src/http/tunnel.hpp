// A CONNECT tunnel, TLS-terminated: the client's TLS session on one side, and on the other
// an ordinary Connection over a socket pair, which serves the decrypted requests as
// absolute-form https:// requests through the same router as everything else. Bytes are
// relayed through fixed buffers: a large body never sits in memory. Internal to src/http.
#pragma once

#include "http/connection.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>

#include <array>

namespace http {

class Tunnel : public Session, public std::enable_shared_from_this<Tunnel> {
public:
  // `origin`: "https://host[:port]", what the inner connection prefixes targets with.
  Tunnel(tcp::socket socket, Strand strand, ServerContext& context,
         std::shared_ptr<asio::ssl::context> tls, std::string origin);
  void start();
  void close_if_idle() override {}  // ends with its inner connection, which drains
  void release_after_stop() override;

private:
  awaitable<void> run();
  awaitable<void> client_to_inner();
  awaitable<void> inner_to_client();
  void close();

  Strand m_strand;
  ServerContext& m_context;
  std::shared_ptr<asio::ssl::context> m_tls_context;  // outlives m_tls
  asio::ssl::stream<tcp::socket> m_tls;
  asio::local::stream_protocol::socket m_inner;
  asio::steady_timer m_handshake_timer;
  std::string m_origin;
  std::array<char, 64 * 1024> m_in_buffer;
  std::array<char, 64 * 1024> m_out_buffer;
  bool m_closed = false;
  int m_pumps = 0;
  std::shared_ptr<Tunnel> m_running;   // alive while run() runs
  std::shared_ptr<Tunnel> m_pump_in;   // ... client_to_inner()
  std::shared_ptr<Tunnel> m_pump_out;  // ... inner_to_client()
};

// A server-side TLS context for one identity (PEM certificate and key).
util::Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsIdentity& identity);

} // namespace http
