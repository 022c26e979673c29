// The read-only FUSE file system (libfuse3, high-level API, multithreaded) over an
// HfCacheView and FileReads. Runs in the foreground until unmounted or signalled (SIGINT,
// SIGTERM, SIGHUP), then unmounts cleanly.
#pragma once

#include "mount/file_reads.hpp"
#include "mount/hf_cache_view.hpp"
#include "util/result.hpp"

#include <filesystem>
#include <functional>

namespace mount {

struct MountOptions {
  std::filesystem::path mountpoint;
  bool allow_other = false;  // let other users read it (needs root or user_allow_other)
  bool debug = false;
};

// Mounts, calls `ready()` once the file system answers, and serves until unmounted.
util::Result<void> run_fuse(const MountOptions& options, HfCacheView& view, FileReads& reads,
                            const std::function<void()>& ready,
                            const std::function<void(const std::string&)>& notice);

} // namespace mount
