// The record/replay engine as the CLI starts it: flags shared by `serve` (and later `run`),
// and the wiring of store, fetcher, cache, routes and server.
#pragma once

#include "cli/command.hpp"
#include "cache/mode.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cli {

struct EngineOptions {
  std::string listen = "127.0.0.1:8780";
  std::string upstream;
  cache::Mode mode = cache::Mode::record;
  std::vector<std::string> allow_hosts;
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
  int threads = 2;
};

// Adds the engine's flags to `app`.
void add_engine_options(CLI::App& app, EngineOptions& options);

// Runs the engine until SIGINT/SIGTERM. `ready(port)` is called once it listens. Returns
// the exit code.
int run_engine(const GlobalOptions& global, const EngineOptions& options,
               const std::function<void(int port)>& ready);

} // namespace cli
