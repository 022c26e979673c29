// What `mount` finds at its mountpoint before it mounts: a directory to use, or the stale
// mount a killed daemon left (every access fails with ENOTCONN, "transport endpoint is not
// connected"), which it detaches so a restarted daemon can mount again (issue 19: in
// Kubernetes, a DaemonSet's restart must not leave the node's mountpoint dead).
#pragma once

#include "util/result.hpp"

#include <filesystem>

namespace mount {

enum class MountpointState {
  directory,  // an ordinary directory (or a live mount: the caller's emptiness check refuses it)
  stale,      // a FUSE mount whose daemon is gone
};

// Errc::invalid_argument: `path` does not exist or is not a directory; Errc::io: it cannot
// be read for another reason (the message names it).
util::Result<MountpointState> inspect_mountpoint(const std::filesystem::path& path);

// Detaches the stale mount at `path` (lazily: readers that still hold its files get errors,
// never a hang): umount2(MNT_DETACH) when the process may, else `fusermount3 -u -z`, as an
// unprivileged owner of the mount must. Afterwards `path` is the directory it hid.
util::Result<void> detach_stale_mount(const std::filesystem::path& path);

// Errc::unsupported with what to do when /dev/fuse cannot be opened (a container started
// without the device), before anything is mounted.
util::Result<void> check_fuse_device();

} // namespace mount
