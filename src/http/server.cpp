#include "http/server.hpp"

#include "http/asio.hpp"
#include "http/connection.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

namespace http {

struct Server::Impl {
  Impl(ServerOptions options, const Router& router, util::Metrics& metrics, AccessLog log)
      : context{std::move(options), router, metrics, std::move(log)}, acceptor(io), signals(io) {
    context.adopt = [this](const std::shared_ptr<Session>& session) {
      std::lock_guard lock(mutex);
      std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
      connections.push_back(session);
    };
    // One loop per thread, each run by its thread alone (as nginx runs one per worker): a
    // connection lives on one loop, and no handler of it wakes another thread. The first
    // loop also accepts, catches signals and drains.
    const int threads = std::max(1, context.options.threads);
    loops.reserve(static_cast<std::size_t>(threads - 1));
    for (int i = 1; i < threads; ++i) {
      loops.push_back(std::make_unique<asio::io_context>(1));
      idle_guards.emplace_back(loops.back()->get_executor());
    }
    context.new_strand = [this] { return asio::make_strand(next_loop()); };
  }

  // The loop for the next connection, in turn.
  asio::io_context& next_loop() {
    const std::size_t turn = next_turn.fetch_add(1, std::memory_order_relaxed) % (loops.size() + 1);
    return turn == 0 ? io : *loops[turn - 1];
  }

  awaitable<void> accept_loop();
  void begin_stop();

  ServerContext context;
  asio::io_context io{1};
  std::vector<std::unique_ptr<asio::io_context>> loops;  // the other threads' loops
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> idle_guards;
  std::atomic<std::size_t> next_turn{0};
  tcp::acceptor acceptor;
  asio::signal_set signals;  // SIGINT/SIGTERM, caught from listen() on (asio queues them)
  std::mutex mutex;
  std::vector<std::weak_ptr<Session>> connections;
  std::function<void()> on_stop;
  bool stopping = false;
};

Server::Server(ServerOptions options, const Router& router, util::Metrics& metrics, AccessLog log)
    : m_impl(std::make_unique<Impl>(std::move(options), router, metrics, std::move(log))) {}

Server::~Server() = default;

util::Result<int> Server::listen(bool handle_signals) {
  // sendfile(2) to a client that hung up raises SIGPIPE, which would end the process; the
  // error it also returns (EPIPE) is what we handle.
  std::signal(SIGPIPE, SIG_IGN);
  auto& acceptor = m_impl->acceptor;
  boost::system::error_code ec;
  if (handle_signals) {
    // Before anyone learns the port: a SIGTERM right after "listening on" must be orderly.
    m_impl->signals.add(SIGINT, ec);
    m_impl->signals.add(SIGTERM, ec);
  }
  const auto address = asio::ip::make_address(m_impl->context.options.host, ec);
  if (ec) {
    return util::fail(util::Errc::invalid_argument,
                      "cannot listen on '" + m_impl->context.options.host + "': not an IP address");
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(m_impl->context.options.port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return util::fail(util::Errc::io, "cannot listen on " + m_impl->context.options.host + ":" +
                                          std::to_string(m_impl->context.options.port) + ": " +
                                          ec.message());
  }
  return static_cast<int>(acceptor.local_endpoint().port());
}

awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    boost::system::error_code ec;
    auto strand = asio::make_strand(next_loop());
    tcp::socket socket(strand);
    co_await acceptor.async_accept(socket, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      continue;  // EMFILE and friends: keep accepting
    }
    if (context.active >= context.options.max_connections) {
      context.metrics
          .counter("hubcache_connections_refused_total", "Connections refused over the cap")
          .add();
      static constexpr char k_busy[] =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\n"
          "Connection: close\r\n\r\n";
      socket.write_some(asio::buffer(k_busy, sizeof k_busy - 1), ec);
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket), strand, context);
    context.adopt(connection);
    connection->start();
  }
}

void Server::Impl::begin_stop() {
  {
    std::lock_guard lock(mutex);
    if (stopping) return;
    stopping = true;
  }
  context.draining = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  if (on_stop) on_stop();
  std::lock_guard lock(mutex);
  for (const auto& weak : connections) {
    if (auto connection = weak.lock()) connection->close_if_idle();
  }
}

void Server::run(std::function<void()> on_stop) {
  auto& impl = *m_impl;
  impl.on_stop = std::move(on_stop);
  auto& signals = impl.signals;
  signals.async_wait([&impl](const boost::system::error_code& ec, int) {
    if (!ec) impl.begin_stop();
  });
  asio::co_spawn(impl.io, impl.accept_loop(), asio::detached);

  // The drain: once stopping, wait for connections to finish, then end the loop.
  asio::steady_timer drain(impl.io);
  std::function<void()> check;
  auto deadline = std::chrono::steady_clock::time_point::max();
  check = [&] {
    drain.expires_after(std::chrono::milliseconds(50));
    drain.async_wait([&](const boost::system::error_code&) {
      if (impl.context.draining) {
        if (deadline == std::chrono::steady_clock::time_point::max()) {
          deadline = std::chrono::steady_clock::now() + impl.context.options.drain_timeout;
          std::lock_guard lock(impl.mutex);
          for (const auto& weak : impl.connections) {
            if (auto connection = weak.lock()) connection->close_if_idle();
          }
        }
        if (impl.context.active == 0 || std::chrono::steady_clock::now() > deadline) {
          signals.cancel();
          for (auto& loop : impl.loops) loop->stop();
          impl.io.stop();
          return;
        }
      }
      check();
    });
  };
  check();

  std::vector<std::thread> threads;
  for (auto& loop : impl.loops) threads.emplace_back([&loop] { loop->run(); });
  impl.io.run();
  for (auto& thread : threads) thread.join();
  // Connections cut off by the drain bound never resume; free them (their sockets close).
  std::vector<std::shared_ptr<Session>> remaining;
  {
    std::lock_guard lock(impl.mutex);
    for (const auto& weak : impl.connections) {
      if (auto connection = weak.lock()) remaining.push_back(std::move(connection));
    }
    impl.connections.clear();
  }
  for (const auto& connection : remaining) connection->release_after_stop();
}

void Server::stop() {
  asio::post(m_impl->io, [impl = m_impl.get()] { impl->begin_stop(); });
}

} // namespace http
