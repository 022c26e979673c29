#include "store/blob_lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace store::blob_lock {

namespace {

// True when `path` currently names the file open as `fd`; `by_fd` receives its fstat.
util::Result<bool> still_names(const std::filesystem::path& path, int fd, struct stat& by_fd) {
  if (::fstat(fd, &by_fd) != 0) return util::fail_errno("stat " + path.string());
  struct stat by_path {};
  if (::stat(path.c_str(), &by_path) != 0) {
    if (errno == ENOENT) return false;
    return util::fail_errno("stat " + path.string());
  }
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

util::Result<void> lock(int fd, int operation, const std::filesystem::path& path) {
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) return util::fail_errno("lock " + path.string());
  }
  return {};
}

} // namespace

util::Result<std::optional<Pinned>> pin(const std::filesystem::path& path) {
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    return util::fail_errno("open " + path.string());
  }
  if (auto r = lock(fd.get(), LOCK_SH, path); !r) return tl::unexpected(r.error());
  struct stat st {};
  auto names = still_names(path, fd.get(), st);
  if (!names) return tl::unexpected(names.error());
  if (!*names) return std::nullopt;
  return Pinned{std::move(fd), static_cast<std::uint64_t>(st.st_size)};
}

util::Result<bool> pin_created(int fd, const std::filesystem::path& path) {
  if (auto r = lock(fd, LOCK_SH, path); !r) return tl::unexpected(r.error());
  struct stat st {};
  return still_names(path, fd, st);
}

util::Result<Claim> claim(const std::filesystem::path& path) {
  Claim result;
  result.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!result.fd) {
    if (errno == ENOENT) return result;
    return util::fail_errno("open " + path.string());
  }
  while (::flock(result.fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      result.status = ClaimStatus::in_use;
      result.fd.reset();
      return result;
    }
    if (errno != EINTR) return util::fail_errno("lock " + path.string());
  }
  struct stat st {};
  auto names = still_names(path, result.fd.get(), st);
  if (!names) return tl::unexpected(names.error());
  if (!*names) {
    result.fd.reset();
    return result; // removed by someone else before we locked it
  }
  result.status = ClaimStatus::claimed;
  return result;
}

} // namespace store::blob_lock
