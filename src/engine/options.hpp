// What an engine is built from: every setting of `serve`, `run` and preload's engine, as plain
// values. The CLI fills it from flags (cli/engine_flags.cpp); engine::Engine::open validates it.
#pragma once

#include "cache/in_flight.hpp"
#include "cache/mode.hpp"
#include "remote/remote_tier.hpp"
#include "upstream/allow_list.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace engine {

struct Options {
  std::filesystem::path store;  // created if missing
  std::string listen = "127.0.0.1:8780";  // HOST:PORT or [V6]:PORT; port 0: any free one
  std::string upstream = "https://huggingface.co";
  // The Hub's dataset viewer; "" derives it from upstream (https://datasets-server.<host>).
  std::string dataset_viewer;
  cache::Mode mode = cache::Mode::record;
  upstream::AllowList allow_hosts;  // --allow-host; the upstream's origin is added by open()
  std::vector<std::string> ignore_query;  // query parameter names left out of exchange keys
  std::string log;  // NDJSON log; "" is STORE/logs/hubcache.ndjson
  std::string port_file;  // written once listening; "" none
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
  std::string upstream_ca;  // PEM file; "" the system's CAs
  std::string lock;         // a lockfile: replay answers only what it names
  remote::RemoteOptions remote;  // the fleet's bucket, asked on a local miss; url "" none
  // A hard bound on the local tier's blob bytes (LRU); nullopt: none.
  std::optional<std::uint64_t> max_size;
};

} // namespace engine
