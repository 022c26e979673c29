// `mount`'s engine: the local store and the remote tier behind a read-only FUSE view, with
// fills from the bucket through a fetcher of its own (no server, no upstream).
#pragma once

#include "engine/listen.hpp"
#include "mount/fuse_mount.hpp"
#include "remote/remote_tier.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace engine {

struct MountNodeOptions {
  // Must exist unless a bucket is given (a node's local tier starts empty).
  std::filesystem::path store;
  remote::RemoteOptions remote;  // url "": the store alone
  std::optional<std::uint64_t> max_size;  // the local tier's bound (LRU); nullopt: none
  mount::MountOptions mount;
  // Written (atomically) once the view is loaded and mounted, removed when the mount ends;
  // one left by a killed daemon is removed at start. Empty: none. For readiness probes.
  std::filesystem::path ready_file;
  // /_hubcache/health, /metrics and /stats served there, as `serve` does; nullopt: none.
  std::optional<ListenAddress> metrics_listen;
};

// Checks /dev/fuse, replaces a stale mount a killed daemon left at the mountpoint (one
// notice), opens the tiers, mounts, calls `mounted(what)` once the file system answers
// (`what`: "BUCKET over STORE" or "STORE"), and serves until unmounted or signalled. Notices
// go to stderr. Errors: /dev/fuse, the mountpoint, the store, the bucket (a refusal;
// unreachable is a notice), the metrics address, the ready file, the mount.
util::Result<void> run_mount_node(const MountNodeOptions& options,
                                  const std::function<void(const std::string& what)>& mounted);

} // namespace engine
