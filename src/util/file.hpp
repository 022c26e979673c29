// Small POSIX file helpers: an owning descriptor, whole writes, directory fsync.
#pragma once

#include "util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <utility>

namespace util {

// Owns one file descriptor and closes it on destruction. Movable, not copyable.
class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : m_fd(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }
  int release() { return std::exchange(m_fd, -1); }
  void reset(int fd = -1);

private:
  int m_fd = -1;
};

// The whole of a small file (a manifest, a lockfile). Errc::io names the file and errno.
Result<std::string> read_small_file(const std::filesystem::path& path);

// Replaces `path` with `content` at once: a temporary file beside it, fsynced, renamed over.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content);

// Writes every byte, retrying short writes and EINTR. Errc::io names `what` and errno.
Result<void> write_all(int fd, std::span<const std::uint8_t> data, const char* what);

// Reads up to `buffer.size()` bytes at `offset`; returns how many (0 at end of file).
Result<std::size_t> read_at(int fd, std::span<std::uint8_t> buffer, std::uint64_t offset);

// The first `size` bytes of `fd` (an open blob: the caller knows its size and bounds it), or
// fewer if the file ends first.
Result<std::string> read_text_at(int fd, std::uint64_t size);

// Makes a rename, link or unlink inside `dir` durable.
Result<void> fsync_dir(const std::filesystem::path& dir);

struct DirUsage {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};
// Regular files directly in `dir` and their total size; zero if `dir` does not exist.
Result<DirUsage> dir_usage(const std::filesystem::path& dir);

// Creates `dir` and its parents; fine if it exists.
Result<void> make_dirs(const std::filesystem::path& dir);

} // namespace util
