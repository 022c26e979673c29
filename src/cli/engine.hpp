// The record/replay engine as the CLI starts it: flags shared by `serve` and `run`, and the
// wiring of store, fetcher, cache, Hub routes and server.
#pragma once

#include "cli/command.hpp"
#include "cli/remote_options.hpp"
#include "cache/in_flight.hpp"
#include "cache/mode.hpp"
#include "http/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cli {

struct EngineOptions {
  std::string listen = "127.0.0.1:8780";
  std::string upstream = "https://huggingface.co";
  // The Hub's dataset viewer; "" derives it from upstream (https://datasets-server.<host>).
  std::string dataset_viewer;
  cache::Mode mode = cache::Mode::record;
  upstream::AllowList allow_hosts;  // --allow-host; the upstream's origin is added by open()
  std::vector<std::string> ignore_query;  // query parameter names left out of exchange keys
  std::string log;  // NDJSON log; default STORE/logs/hubcache.ndjson
  std::string port_file;
  int retries = 5;
  std::chrono::milliseconds retry_floor{1000};
  std::chrono::milliseconds retry_ceiling{120'000};
  std::optional<std::uint64_t> min_rate;  // bytes/s, default 1000
  std::chrono::milliseconds stall_time{30'000};
  std::chrono::milliseconds client_timeout{60'000};
  std::chrono::milliseconds drain_timeout{10'000};
  int max_upstream_per_host = 8;
  std::size_t max_connections = 1024;
  std::size_t max_fetches = 32;   // fetching threads (upstream and remote-tier transfers)
  std::size_t fetch_queue = 256;  // fetches waiting for one; beyond, 503 with Retry-After
  // Whether a fetch nobody waits for any more is cancelled (serve, run) or finished anyway
  // (preload: filling the store is the point).
  cache::Keep keep_fetches = cache::Keep::while_wanted;
  int threads = 2;
  bool share_private = false;
  std::string upstream_ca;  // PEM file; default: the system's CAs
  std::string lock;         // a lockfile: replay answers only what it names
  RemoteCliOptions remote;  // the fleet's bucket, asked on a local miss
  // A hard bound on the local tier's blob bytes (LRU); nullopt: none.
  std::optional<std::uint64_t> max_size;
};

// Adds the engine's flags to `app`.
void add_engine_options(CLI::App& app, EngineOptions& options);

// Sees every access record (from the server's threads).
using AccessObserver = std::function<void(const http::AccessRecord&)>;
// Sees every notice the engine prints on stderr (from any thread).
using NoticeObserver = std::function<void(const std::string&)>;

// A running engine: open() wires everything and listens; serve() answers until stop().
class Engine {
public:
  // Errors carry the exit code to use: usage (bad --upstream/--listen) or failure.
  struct OpenError {
    int exit_code = k_exit_failure;
    std::string message;
  };
  static tl::expected<std::unique_ptr<Engine>, OpenError> open(const GlobalOptions& global,
                                                               const EngineOptions& options,
                                                               bool handle_signals,
                                                               AccessObserver observer = {},
                                                               NoticeObserver notices = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  int port() const;
  // Serves until stop() (or a signal when handle_signals), lets responses in flight finish
  // for up to --drain-timeout, then aborts the fetches still running.
  void serve();
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

// `serve`: runs the engine until SIGINT/SIGTERM. `ready(port)` is called once it listens.
// Returns the exit code.
int run_engine(const GlobalOptions& global, const EngineOptions& options,
               const std::function<void(int port)>& ready);

} // namespace cli
