#include "http/tunnel.hpp"

#include <sys/socket.h>

namespace http {

namespace {

constexpr auto k_handshake_timeout = std::chrono::seconds(30);

} // namespace

util::Result<std::shared_ptr<asio::ssl::context>> make_tls_context(const TlsIdentity& identity) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1,
                       ec);
  if (!ec) context->use_certificate_chain(asio::buffer(identity.certificate_pem), ec);
  if (!ec) context->use_private_key(asio::buffer(identity.key_pem), asio::ssl::context::pem, ec);
  if (ec) return util::fail(util::Errc::io, "cannot load a TLS identity: " + ec.message());
  return context;
}

Tunnel::Tunnel(tcp::socket socket, Strand strand, ServerContext& context,
               std::shared_ptr<asio::ssl::context> tls, std::string origin)
    : m_strand(strand), m_context(context), m_tls_context(std::move(tls)),
      m_tls(std::move(socket), *m_tls_context), m_inner(strand), m_handshake_timer(strand),
      m_origin(std::move(origin)) {}

void Tunnel::start() {
  m_running = shared_from_this();
  asio::co_spawn(m_strand, run(), asio::detached);
}

void Tunnel::release_after_stop() {
  m_running.reset();
  m_pump_in.reset();
  m_pump_out.reset();
}

// Closing the TCP socket without a TLS close_notify: a body cut short stays visibly cut
// short to the client, never a clean end.
void Tunnel::close() {
  if (m_closed) return;
  m_closed = true;
  boost::system::error_code ignored;
  m_handshake_timer.cancel();
  m_tls.next_layer().cancel(ignored);
  m_tls.next_layer().close(ignored);
  m_inner.cancel(ignored);
  m_inner.close(ignored);
}

awaitable<void> Tunnel::run() {
  // A client that connects and never finishes the handshake is cut off.
  m_handshake_timer.expires_after(k_handshake_timeout);
  std::weak_ptr<Tunnel> weak = weak_from_this();
  m_handshake_timer.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->close();
  });
  boost::system::error_code ec;
  co_await m_tls.async_handshake(asio::ssl::stream_base::server,
                                 asio::redirect_error(use_awaitable, ec));
  m_handshake_timer.cancel();
  if (ec || m_closed) {
    m_context.metrics
        .counter("hubcache_tunnel_handshake_failures_total",
                 "CONNECT tunnels whose client TLS handshake failed")
        .add();
    close();
    auto last_reference = std::move(m_running);
    co_return;
  }
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    close();
    auto last_reference = std::move(m_running);
    co_return;
  }
  m_inner.assign(asio::local::stream_protocol(), fds[0], ec);
  Strand inner_strand = m_context.new_strand();
  tcp::socket inner_socket(inner_strand);
  inner_socket.assign(tcp::v4(), fds[1], ec);
  auto inner = std::make_shared<Connection>(std::move(inner_socket), inner_strand, m_context,
                                            m_origin);
  if (m_context.adopt) m_context.adopt(inner);
  inner->start();

  m_pumps = 2;
  m_pump_in = shared_from_this();
  m_pump_out = shared_from_this();
  asio::co_spawn(m_strand, client_to_inner(), asio::detached);
  asio::co_spawn(m_strand, inner_to_client(), asio::detached);
  auto last_reference = std::move(m_running);
}

awaitable<void> Tunnel::client_to_inner() {
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = co_await m_tls.async_read_some(asio::buffer(m_in_buffer),
                                                         asio::redirect_error(use_awaitable, ec));
    if (ec || m_closed) break;
    co_await asio::async_write(m_inner, asio::buffer(m_in_buffer.data(), n),
                               asio::redirect_error(use_awaitable, ec));
    if (ec || m_closed) break;
  }
  // The client is done sending (or gone): the inner connection reads an end of stream and
  // finishes what it is sending.
  boost::system::error_code ignored;
  if (!m_closed) m_inner.shutdown(asio::socket_base::shutdown_send, ignored);
  if (--m_pumps == 0) close();
  auto last_reference = std::move(m_pump_in);
}

awaitable<void> Tunnel::inner_to_client() {
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = co_await m_inner.async_read_some(asio::buffer(m_out_buffer),
                                                           asio::redirect_error(use_awaitable, ec));
    if (ec || m_closed) break;
    co_await asio::async_write(m_tls, asio::buffer(m_out_buffer.data(), n),
                               asio::redirect_error(use_awaitable, ec));
    if (ec || m_closed) break;
  }
  // The inner connection closed (done, idle, or aborted): so does the tunnel.
  close();
  --m_pumps;
  auto last_reference = std::move(m_pump_out);
}

} // namespace http
