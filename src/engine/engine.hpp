// The record/replay engine, built from an Options struct: store, log, fetcher, remote tier,
// fetches, cache, Hub routes, forward proxy, admin routes and server, wired once here for
// `serve`, `run` and `preload` (see mount_node.hpp for `mount`'s smaller engine).
// Start here to see what an engine is made of.
#pragma once

#include "engine/open_error.hpp"
#include "engine/options.hpp"
#include "http/message.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <tl/expected.hpp>

namespace engine {

// Sees every access record (from the server's threads).
using AccessObserver = std::function<void(const http::AccessRecord&)>;
// Sees every notice the engine prints on stderr (from any thread).
using NoticeObserver = std::function<void(const std::string&)>;

// What the caller adds to an engine besides its options.
struct Hooks {
  // SIGINT/SIGTERM stop serve() (`serve`); otherwise the caller stops it (`run`, `preload`).
  bool handle_signals = false;
  AccessObserver access;
  NoticeObserver notices;
};

// A running engine: open() wires everything and listens; serve() answers until stop().
class Engine {
public:
  // Usage errors: a bad --upstream, --listen, --dataset-viewer or --lock (see validate.hpp);
  // failures: the store, the log, the bucket, the fetch threads, the listening socket.
  static tl::expected<std::unique_ptr<Engine>, OpenError> open(const Options& options, Hooks hooks = {});
  // Stops and waits for a start()ed engine.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  int port() const;
  // Serves until stop() (or a signal with Hooks::handle_signals), lets responses in flight
  // finish for up to --drain-timeout, then aborts the fetches still running.
  void serve();
  // serve() on a thread of the engine's own; finish() ends it. At most once.
  void start();
  // stop(), then waits for the thread start() began. Call from the thread that called start().
  void finish();
  // Safe from any thread.
  void stop();
  // The value of one of the engine's counters (e.g. hubcache_upstream_retries_total).
  std::uint64_t counter(const std::string& name) const;
  std::filesystem::path store_root() const;

private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// `serve`: opens the engine, calls `ready(port)` once it listens, and serves until
// SIGINT/SIGTERM.
tl::expected<void, OpenError> serve_until_signalled(const Options& options,
                                                    const std::function<void(int port)>& ready);

} // namespace engine
