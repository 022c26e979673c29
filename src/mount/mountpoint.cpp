#include "mount/mountpoint.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace mount {
namespace {

// umount2(path, MNT_DETACH) by its system call: <sys/mount.h> declares a function mount(),
// which cannot live beside this namespace.
constexpr long k_mnt_detach = 2;
int detach(const std::filesystem::path& path) { return static_cast<int>(::syscall(SYS_umount2, path.c_str(), k_mnt_detach)); }

} // namespace

util::Result<MountpointState> inspect_mountpoint(const std::filesystem::path& path) {
  // Opening asks the file system itself; a stat could be answered from attributes the
  // kernel still caches for a second after the daemon died.
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return MountpointState::directory;
  }
  const int error = errno;
  if (error == ENOTDIR) return util::fail(util::Errc::invalid_argument, path.string() + " is not a directory");
  if (error == ENOTCONN) return MountpointState::stale;
  if (error == ENOENT) return util::fail(util::Errc::invalid_argument, path.string() + " does not exist");
  return util::fail(util::Errc::io, "cannot read " + path.string() + ": " + std::strerror(error));
}

namespace {

// `fusermount3 -u -z PATH`, found on PATH; its exit status.
util::Result<int> run_fusermount(const std::filesystem::path& path) {
  std::string program = "fusermount3", u = "-u", z = "-z", target = path.string();
  char* argv[] = {program.data(), u.data(), z.data(), target.data(), nullptr};
  pid_t child = 0;
  if (const int spawned = ::posix_spawnp(&child, argv[0], nullptr, nullptr, argv, environ); spawned != 0) {
    return util::fail(util::Errc::io, "cannot run fusermount3: " + std::string(std::strerror(spawned)));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return util::fail(util::Errc::io, "waiting for fusermount3: " + std::string(std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

} // namespace

util::Result<void> detach_stale_mount(const std::filesystem::path& path) {
  // Mounted more than once over, each detach uncovers the next; a few at most.
  for (int detached = 0; detached < 8; ++detached) {
    if (detach(path) != 0) {
      const int error = errno;
      // Not ours to detach (EPERM, not root): the mount's owner may, through the setuid helper.
      if (error != EPERM) {
        return util::fail(util::Errc::io,
                          "cannot detach the stale mount at " + path.string() + ": " + std::strerror(error));
      }
      auto status = run_fusermount(path);
      if (!status) return tl::unexpected(status.error());
      if (*status != 0) {
        return util::fail(util::Errc::io, "cannot detach the stale mount at " + path.string() +
                                              ": fusermount3 -u -z exited " + std::to_string(*status));
      }
    }
    auto after = inspect_mountpoint(path);
    if (!after) return tl::unexpected(after.error());
    if (*after == MountpointState::directory) return {};
  }
  return util::fail(util::Errc::io, "the mountpoint " + path.string() + " is still not connected after 8 detaches");
}

util::Result<void> check_fuse_device() {
  const int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  const int error = errno;
  return util::fail(util::Errc::unsupported,
                    "cannot open /dev/fuse: " + std::string(std::strerror(error)) +
                        " (load the fuse module; in a container, pass the device: docker --device /dev/fuse "
                        "--cap-add SYS_ADMIN, or a privileged pod)");
}

} // namespace mount
