#include "store/blob_store.hpp"

#include "store/blob_lock.hpp"
#include "util/hex.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <random>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <vector>
#include <unistd.h>

namespace store {

namespace fs = std::filesystem;

namespace {

// pid + a per-process counter + randomness: unique across processes and restarts.
std::string temp_name() {
  static std::atomic<std::uint64_t> counter{0};
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::array<std::uint8_t, 6> noise{};
  for (auto& b : noise)
    b = static_cast<std::uint8_t>(rng());
  return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + util::to_hex(noise) +
         ".part";
}

std::uint64_t size_of(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

} // namespace

util::Result<void> BlobStore::create_dirs() const {
  for (const auto& dir : {m_layout.blobs_dir(), m_layout.tmp_dir(), m_layout.quarantine_dir()}) {
    if (auto r = util::make_dirs(dir); !r) return r;
  }
  return {};
}

util::Result<std::optional<BlobReader>> BlobStore::open(const util::Sha256& digest) const {
  auto pinned = blob_lock::pin(m_layout.blob_path(digest));
  if (!pinned) return tl::unexpected(pinned.error());
  if (!*pinned) return std::nullopt;
  return std::optional<BlobReader>(BlobReader(std::move((*pinned)->fd), (*pinned)->size, digest));
}

util::Result<BlobWriter> BlobStore::begin_write() const {
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto path = m_layout.tmp_dir() / temp_name();
    util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) {
      if (errno == EEXIST) continue;
      return util::fail_errno("create temp blob in " + m_layout.tmp_dir().string());
    }
    // gc may have swept the fresh, not yet pinned file; then start another.
    auto pinned = blob_lock::pin_created(fd.get(), path);
    if (!pinned) return tl::unexpected(pinned.error());
    if (*pinned) {
      BlobWriter writer(m_layout, std::move(fd), std::move(path));
      writer.set_budget(m_budget);
      return writer;
    }
  }
  return util::fail(util::Errc::io, "cannot create a temp blob in " + m_layout.tmp_dir().string());
}

util::Result<BlobWriter> BlobStore::begin_resumable(const util::Sha256& expected) const {
  const auto path = m_layout.tmp_dir() / ("partial-" + expected.hex());
  for (int attempt = 0; attempt < 10; ++attempt) {
    util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) return util::fail_errno("open " + path.string());
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) return begin_write();  // another writer has it
      if (errno != EINTR) return util::fail_errno("lock " + path.string());
    }
    // gc may have swept the file between open and lock: then the path names another, or none.
    struct stat held {}, named {};
    if (::fstat(fd.get(), &held) != 0) return util::fail_errno("stat " + path.string());
    if (::stat(path.c_str(), &named) != 0 || named.st_ino != held.st_ino ||
        named.st_dev != held.st_dev) {
      continue;
    }
    util::Sha256Hasher hasher;
    std::uint64_t size = 0;
    std::vector<std::uint8_t> buffer(256 * 1024);
    for (;;) {
      auto n = util::read_at(fd.get(), buffer, size);
      if (!n) return tl::unexpected(n.error());
      if (*n == 0) break;
      hasher.update(std::span(buffer.data(), *n));
      size += *n;
    }
    if (::lseek(fd.get(), static_cast<off_t>(size), SEEK_SET) < 0) {
      return util::fail_errno("seek " + path.string());
    }
    BlobWriter writer(m_layout, std::move(fd), path, std::move(hasher), size);
    writer.set_budget(m_budget);
    return writer;
  }
  return util::fail(util::Errc::io, "cannot hold " + path.string() + ": it keeps vanishing");
}

util::Result<RemoveOutcome>
BlobStore::remove(const util::Sha256& digest,
                  const std::function<util::Result<void>()>& before_unlink) const {
  const auto path = m_layout.blob_path(digest);
  auto claimed = blob_lock::claim(path);
  if (!claimed) return tl::unexpected(claimed.error());
  switch (claimed->status) {
  case blob_lock::ClaimStatus::in_use:
    return RemoveOutcome::in_use;
  case blob_lock::ClaimStatus::absent:
    if (auto r = before_unlink(); !r) return tl::unexpected(r.error());
    return RemoveOutcome::absent;
  case blob_lock::ClaimStatus::claimed:
    break;
  }
  if (auto r = before_unlink(); !r) return tl::unexpected(r.error());
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return util::fail_errno("remove " + path.string());
  }
  return RemoveOutcome::removed;
}

util::Result<std::optional<fs::path>> BlobStore::quarantine(const util::Sha256& digest,
                                                            util::UnixMillis now) const {
  const auto from = m_layout.blob_path(digest);
  if (auto r = util::make_dirs(m_layout.quarantine_dir()); !r) return tl::unexpected(r.error());
  auto to = m_layout.quarantine_dir() / (digest.hex() + "." + std::to_string(now));
  if (::rename(from.c_str(), to.c_str()) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return util::fail_errno("quarantine " + from.string());
  }
  return std::optional<fs::path>(std::move(to));
}

util::Result<void>
BlobStore::for_each_file(const std::function<util::Result<void>(const FileInfo&)>& visit,
                         const std::function<void(const fs::path&)>& stray) const {
  std::error_code ec;
  fs::directory_iterator fanouts(m_layout.blobs_dir(), ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return {};
    return util::fail(util::Errc::io,
                      "list " + m_layout.blobs_dir().string() + ": " + ec.message());
  }
  for (const auto& fanout : fanouts) {
    if (!fanout.is_directory(ec)) {
      stray(fanout.path());
      continue;
    }
    fs::directory_iterator files(fanout.path(), ec);
    if (ec)
      return util::fail(util::Errc::io, "list " + fanout.path().string() + ": " + ec.message());
    for (const auto& file : files) {
      const auto digest = Layout::digest_of_blob_name(fanout.path().filename().native(),
                                                      file.path().filename().native());
      if (!digest || !file.is_regular_file(ec)) {
        stray(file.path());
        continue;
      }
      const auto size = file.file_size(ec);
      if (ec) continue; // removed while we listed
      if (auto r = visit(FileInfo{*digest, size}); !r) return r;
    }
  }
  return {};
}

util::Result<BlobStore::TmpSweep> BlobStore::sweep_tmp() const {
  TmpSweep sweep;
  std::error_code ec;
  fs::directory_iterator files(m_layout.tmp_dir(), ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return sweep;
    return util::fail(util::Errc::io, "list " + m_layout.tmp_dir().string() + ": " + ec.message());
  }
  for (const auto& file : files) {
    auto claimed = blob_lock::claim(file.path());
    if (!claimed) return tl::unexpected(claimed.error());
    if (claimed->status != blob_lock::ClaimStatus::claimed) continue;
    const auto size = size_of(claimed->fd.get());
    if (::unlink(file.path().c_str()) == 0) {
      ++sweep.files;
      sweep.bytes += size;
    }
  }
  return sweep;
}

} // namespace store
