// hubcache's own routes alone (/_hubcache/health, /metrics, /stats) on an HTTP listener and
// a thread of their own, for a process that serves no other HTTP: `mount --metrics-listen`
// (issue 19: a DaemonSet's probes and Prometheus read the mount as they read `serve`).
#pragma once

#include "engine/listen.hpp"
#include "engine/stats.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"

#include <functional>
#include <memory>
#include <string>

namespace engine {

class AdminListener {
public:
  // Listens on `address` and serves from a thread of its own until destroyed. `metrics` must
  // outlive the listener. Errc::io when the address cannot be bound (the message names it).
  static util::Result<std::unique_ptr<AdminListener>> start(const ListenAddress& address, util::Metrics& metrics,
                                                            Identity identity,
                                                            std::function<void(const std::string&)> notice);
  // Stops accepting, lets answers in flight finish, joins the thread.
  ~AdminListener();
  AdminListener(const AdminListener&) = delete;
  AdminListener& operator=(const AdminListener&) = delete;

  int port() const { return m_port; }

private:
  struct Impl;
  explicit AdminListener(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> m_impl;
  int m_port;
};

} // namespace engine
