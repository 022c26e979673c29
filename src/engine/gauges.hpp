// The gauges an engine registers itself: the store's counts, the local tier against its
// bound, the fetch pool and the lookup pool. Names and help come from metrics_table.cpp.
#pragma once

#include "cache/fetches.hpp"
#include "cache/lookups.hpp"
#include "store/store.hpp"
#include "util/metrics.hpp"

namespace engine {

// `store` (and its budget, when bounded) must outlive `metrics`' last rendering.
void add_store_gauges(util::Metrics& metrics, store::Store& store);

// `fetches` must outlive `metrics`' last rendering.
void add_fetch_gauges(util::Metrics& metrics, const cache::Fetches& fetches);

// `lookups` must outlive `metrics`' last rendering.
void add_lookup_gauges(util::Metrics& metrics, const cache::Lookups& lookups);

} // namespace engine
