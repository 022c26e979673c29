// Garbage collection: blobs no entry names, blob files no row names, stale temp files.
#pragma once

#include "util/result.hpp"

#include <cstdint>

namespace store {

class Store;

struct GarbageReport {
  std::uint64_t unreferenced_blobs = 0; // indexed, but no entry names them
  std::uint64_t orphan_files = 0;       // on disk, but not indexed (a writer died mid-commit)
  std::uint64_t tmp_files = 0;          // temp files whose writer is gone
  std::uint64_t freed_bytes = 0;
  std::uint64_t skipped_in_use = 0;
};

// Removes garbage. Anything pinned (being written, read or indexed) is left alone.
util::Result<GarbageReport> collect_garbage(Store& store);

} // namespace store
