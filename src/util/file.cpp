#include "util/file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace util {

void UniqueFd::reset(int fd) {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = fd;
}

Result<void> write_all(int fd, std::span<const std::uint8_t> data, const char* what) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(what);
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::size_t> read_at(int fd, std::span<std::uint8_t> buffer, std::uint64_t offset) {
  for (;;) {
    const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return fail_errno("read");
  }
}

Result<std::string> read_text_at(int fd, std::uint64_t size) {
  std::string text(size, '\0');
  std::uint64_t done = 0;
  while (done < size) {
    auto n = read_at(fd, {reinterpret_cast<std::uint8_t*>(text.data()) + done, size - done}, done);
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) break;
    done += *n;
  }
  text.resize(done);
  return text;
}

Result<void> fsync_dir(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + dir.string());
  if (::fsync(fd.get()) != 0) return fail_errno("fsync " + dir.string());
  return {};
}

Result<DirUsage> dir_usage(const std::filesystem::path& dir) {
  DirUsage usage;
  std::error_code ec;
  std::filesystem::directory_iterator files(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return usage;
    return fail(Errc::io, "list " + dir.string() + ": " + ec.message());
  }
  for (const auto& file : files) {
    if (!file.is_regular_file(ec)) continue;
    const auto size = file.file_size(ec);
    if (ec) continue; // removed while we listed
    ++usage.files;
    usage.bytes += size;
  }
  return usage;
}

Result<void> make_dirs(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::io, "create " + dir.string() + ": " + ec.message());
  return {};
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string temp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  UniqueFd fd(::mkstemp(temp.data()));
  if (!fd) return fail_errno("cannot create a file in " + dir.string());
  const auto bytes = std::span(reinterpret_cast<const std::uint8_t*>(content.data()), content.size());
  auto written = write_all(fd.get(), bytes, temp.c_str());
  if (written && ::fchmod(fd.get(), 0644) != 0) written = fail_errno("cannot chmod " + temp);
  if (written && ::fsync(fd.get()) != 0) written = fail_errno("cannot fsync " + temp);
  if (written && ::rename(temp.c_str(), path.c_str()) != 0) {
    written = fail_errno("cannot write " + path.string());
  }
  if (!written) ::unlink(temp.c_str());
  return written;
}

Result<std::string> read_small_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path.string());
  std::string out;
  char buffer[64 * 1024];
  for (;;) {
    const auto n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path.string());
    }
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

} // namespace util
