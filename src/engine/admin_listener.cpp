#include "engine/admin_listener.hpp"

#include "http/admin.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

#include <thread>

namespace engine {

struct AdminListener::Impl {
  http::Router router;
  std::unique_ptr<http::Server> server;
  std::thread thread;
};

util::Result<std::unique_ptr<AdminListener>> AdminListener::start(const ListenAddress& address,
                                                                  util::Metrics& metrics, Identity identity,
                                                                  std::function<void(const std::string&)> notice) {
  auto impl = std::make_unique<Impl>();
  http::install_admin(
      impl->router, metrics, [identity] { return health_json(identity); },
      [&metrics, identity] { return stats_json(metrics, identity); });
  http::ServerOptions options;
  options.host = address.host.empty() ? "127.0.0.1" : address.host;
  options.port = address.port;
  options.threads = 1;
  options.max_connections = 64;  // probes and a scraper, not clients
  options.notice = std::move(notice);
  impl->server = std::make_unique<http::Server>(options, impl->router, metrics, [](const http::AccessRecord&) {});
  // The mount owns the signals (libfuse's handlers unmount on SIGTERM); the listener stops
  // when the mount returns.
  auto port = impl->server->listen(false);
  if (!port) {
    return util::fail(util::Errc::io, "--metrics-listen " + options.host + ":" + std::to_string(address.port) + ": " +
                                          port.error().message);
  }
  impl->thread = std::thread([server = impl->server.get()] { server->run([] {}); });
  return std::unique_ptr<AdminListener>(new AdminListener(std::move(impl), *port));
}

AdminListener::AdminListener(std::unique_ptr<Impl> impl, int port) : m_impl(std::move(impl)), m_port(port) {}

AdminListener::~AdminListener() {
  m_impl->server->stop();
  if (m_impl->thread.joinable()) m_impl->thread.join();
}

} // namespace engine
