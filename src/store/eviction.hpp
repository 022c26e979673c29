// Least-recently-used eviction of blobs (and the entries naming them) down to a byte bound.
#pragma once

#include "util/result.hpp"

#include <cstdint>

namespace store {

class Store;

struct EvictionReport {
  std::uint64_t evicted_blobs = 0;
  std::uint64_t evicted_bytes = 0;
  std::uint64_t evicted_entries = 0;
  std::uint64_t skipped_in_use = 0; // pinned: open for reading or being indexed
  std::uint64_t bytes_after = 0;    // blob bytes the index holds afterwards
  bool bound_reached = false;
};

// Evicts the least recently used blobs until the indexed blob bytes are at most `bound`.
// Never evicts a pinned blob (see blob_lock.hpp): those are skipped and counted, so the bound
// may be missed while they are open. Entries go before their blob file does.
util::Result<EvictionReport> evict_to_bound(Store& store, std::uint64_t bound);

// Evicts least recently used blobs until at least `want` bytes are freed (or none is left
// that nobody has open). For a bounded store making room (space_budget.hpp).
util::Result<EvictionReport> evict_bytes(Store& store, std::uint64_t want);

} // namespace store
