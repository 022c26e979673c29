// The engine's /_hubcache/health and /_hubcache/stats documents (JSON). `hubcache stats
// --json` and the fleet's dashboards read their fields: a contract.
#pragma once

#include "util/metrics.hpp"

#include <string>

namespace engine {

// What every document names: the engine's mode, upstream and store.
struct Identity {
  std::string mode;
  std::string upstream;
  std::string store;
};

// {"status":"ok","version":…,"mode":…,"upstream":…}.
std::string health_json(const Identity& identity);

// Every metric (util::Metrics::json()), plus per tier where answers and their bytes came
// from ("tiers": local, remote, upstream), plus the identity. Safe from any thread.
std::string stats_json(const util::Metrics& metrics, const Identity& identity);

} // namespace engine
