#include "engine/gauges.hpp"

#include "engine/metrics_table.hpp"

#include <string>

namespace engine {

namespace {

void add(util::Metrics& metrics, std::string_view name, std::function<double()> read) {
  metrics.gauge(std::string(name), std::string(metric_help(name)), std::move(read));
}

} // namespace

void add_store_gauges(util::Metrics& metrics, store::Store& store) {
  auto& index = store.index();
  const auto count = [&index](auto field) {
    return [&index, field]() -> double {
      auto counts = index.counts();
      return counts ? static_cast<double>((*counts).*field) : 0.0;
    };
  };
  add(metrics, "hubcache_store_bytes", count(&store::IndexCounts::blob_bytes));
  add(metrics, "hubcache_store_blobs", count(&store::IndexCounts::blobs));
  add(metrics, "hubcache_store_exchanges", count(&store::IndexCounts::exchanges));
  add(metrics, "hubcache_store_hub_objects", count(&store::IndexCounts::hub_objects));
  // The local tier against its bound (--max-size), and what made room.
  if (const store::SpaceBudget* budget = store.budget()) {
    add(metrics, "hubcache_local_bytes", [budget] { return static_cast<double>(budget->used()); });
    add(metrics, "hubcache_local_bound_bytes", [budget] { return static_cast<double>(budget->bound()); });
    add(metrics, "hubcache_evicted_blobs", [budget] { return static_cast<double>(budget->evicted_blobs()); });
    add(metrics, "hubcache_evicted_bytes", [budget] { return static_cast<double>(budget->evicted_bytes()); });
  }
}

void add_fetch_gauges(util::Metrics& metrics, const cache::Fetches& fetches) {
  add(metrics, "hubcache_fetches_running", [&fetches] { return static_cast<double>(fetches.running()); });
  add(metrics, "hubcache_fetches_queued", [&fetches] { return static_cast<double>(fetches.queued()); });
}

void add_lookup_gauges(util::Metrics& metrics, const cache::Lookups& lookups) {
  add(metrics, "hubcache_lookups_running", [&lookups] { return static_cast<double>(lookups.running()); });
  add(metrics, "hubcache_lookups_queued", [&lookups] { return static_cast<double>(lookups.queued()); });
}

} // namespace engine
