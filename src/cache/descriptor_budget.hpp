// How the process's descriptors are shared (DESIGN.md, "Trust": no input makes the server
// exceed its bounds): each client connection and each running fetch is given its worst case,
// a margin covers the rest of the process, and what is left bounds the hot entries, each of
// which keeps a stored body open.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cache {

struct DescriptorBudget {
  std::uint64_t limit = 0;     // RLIMIT_NOFILE's soft limit
  std::size_t connections = 0; // --max-connections
  std::size_t fetches = 0;     // --max-fetches (queued fetches hold none)
};

// A connection: its socket, a tunnel's TLS socket and socket pair, the body being sent.
inline constexpr std::uint64_t k_descriptors_per_connection = 4;
// A running fetch: the temp blob's writer and reader, curl's socket and resolver pair, spare.
inline constexpr std::uint64_t k_descriptors_per_fetch = 6;
// The index and its WAL, logs, the listener, the event loop, stdio, the store's locks...
inline constexpr std::uint64_t k_descriptor_margin = 256;
// Beyond this many, hot entries stop paying for themselves (see HotEntries).
inline constexpr std::size_t k_max_hot_entries = 10'000;

// The number of hot entries `budget` leaves room for; 0 when nothing is left.
std::size_t hot_entries_within(const DescriptorBudget& budget);

} // namespace cache
