#include "store/blob_writer.hpp"

#include "store/blob_lock.hpp"
#include "store/space_budget.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace store {

BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : m_layout(std::move(other.m_layout)), m_fd(std::move(other.m_fd)),
      m_tmp_path(std::exchange(other.m_tmp_path, {})), m_hasher(std::move(other.m_hasher)),
      m_behind(std::move(other.m_behind)), m_size(other.m_size),
      m_expected_total(other.m_expected_total), m_allocated(other.m_allocated),
      m_resumable(other.m_resumable), m_budget(std::move(other.m_budget)) {}

BlobWriter& BlobWriter::operator=(BlobWriter&& other) noexcept {
  if (this != &other) {
    abort();
    m_layout = std::move(other.m_layout);
    m_fd = std::move(other.m_fd);
    m_tmp_path = std::exchange(other.m_tmp_path, {});
    m_hasher = std::move(other.m_hasher);
    m_behind = std::move(other.m_behind);
    m_size = other.m_size;
    m_expected_total = other.m_expected_total;
    m_allocated = other.m_allocated;
    m_resumable = other.m_resumable;
    m_budget = std::move(other.m_budget);
  }
  return *this;
}

void BlobWriter::expect_total(std::uint64_t total) {
  if (m_budget || total < k_behind_after || m_tmp_path.empty()) return;
  m_expected_total = total;
  m_allocated = std::max(m_allocated, m_size);
  allocate_ahead();
}

// Keeps blocks allocated at least half a window past the bytes written.
void BlobWriter::allocate_ahead() {
  if (m_allocated >= m_expected_total || m_size + k_allocate_ahead / 2 < m_allocated) return;
  const auto length = std::min(k_allocate_ahead, m_expected_total - m_allocated);
  if (::fallocate(m_fd.get(), FALLOC_FL_KEEP_SIZE, static_cast<off_t>(m_allocated),
                  static_cast<off_t>(length)) != 0) {
    // Not supported here, or no room: the writes allocate as they go. Part of the window
    // may be allocated all the same, so it counts for give_back_allocated().
    m_expected_total = 0;
  }
  m_allocated += length;
}

// Truncating to the size the file has frees the blocks allocated past its end.
void BlobWriter::give_back_allocated() {
  if (m_allocated <= m_size || !m_fd) return;
  (void)::ftruncate(m_fd.get(), static_cast<off_t>(m_size));
  m_allocated = m_size;
}

util::Result<void> BlobWriter::write(std::span<const std::uint8_t> data) {
  if (m_tmp_path.empty()) return util::fail(util::Errc::invalid_argument, "blob writer is spent");
  if (m_expected_total) allocate_ahead();
  if (m_budget) {
    if (auto room = m_budget->reserve(data.size()); !room) return room;
  }
  if (auto r = util::write_all(m_fd.get(), data, "write temp blob"); !r) {
    release(data.size());  // what did land is cut off below
    return r;
  }
  m_size += data.size();
  if (m_behind) {
    m_behind->written(data);
  } else {
    m_hasher.update(data);
    if (m_size >= k_behind_after) m_behind = WriteBehind::start(m_fd.get(), m_hasher, m_size);
  }
  return {};
}

util::Sha256 BlobWriter::digest() {
  if (!m_behind) return m_hasher.finish();
  const auto digest = m_behind->finish();
  m_behind.reset();
  return digest;
}

util::Result<void> BlobWriter::write(std::string_view data) {
  return write(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

util::Result<BlobReader> BlobWriter::commit(const BlobExpectation& expect) {
  if (m_tmp_path.empty()) return util::fail(util::Errc::invalid_argument, "blob writer is spent");
  const util::Sha256 digest = this->digest();
  if (expect.size && *expect.size != m_size) {
    const auto got = m_size;
    discard();
    return util::fail(util::Errc::corrupt, "size mismatch: expected " +
                                               std::to_string(*expect.size) + " bytes, got " +
                                               std::to_string(got));
  }
  if (expect.sha256 && *expect.sha256 != digest) {
    discard();
    return util::fail(util::Errc::corrupt, "sha256 mismatch: expected " + expect.sha256->hex() +
                                               ", got " + digest.hex());
  }
  // A blob never changes once named: read-only, so an export or a tool that opens it by a
  // hard link cannot edit the store's content in place (issue 14).
  if (::fchmod(m_fd.get(), 0444) != 0) {
    auto error = util::fail_errno("make the temp blob read-only");
    discard();
    return error;
  }
  give_back_allocated();  // a body shorter than announced, committed without a size check
  if (::fsync(m_fd.get()) != 0) {
    auto error = util::fail_errno("fsync temp blob");
    discard();
    return error;
  }
  // A resumable writer holds its file exclusively (no second writer may append); readers of
  // the placed blob pin it shared, so the lock becomes a shared pin first.
  if (m_resumable && ::flock(m_fd.get(), LOCK_SH) != 0) {
    auto error = util::fail_errno("lock temp blob");
    discard();
    return error;
  }
  bool fresh = false;
  auto placed = place(digest, fresh);
  // The temp name goes either way; a placed blob keeps its own name and pin, and its bytes
  // stay counted. A copy of content already there (or one that failed) frees its bytes.
  if (!placed || !fresh) release(m_size);
  drop_temp();
  return placed;
}

// link(2), not rename(2): it never replaces an existing blob, so a copy that a reader or
// writer has pinned keeps its name, and two writers of the same content end with one file.
util::Result<BlobReader> BlobWriter::place(const util::Sha256& digest, bool& fresh) {
  const auto final_path = m_layout.blob_path(digest);
  if (auto r = util::make_dirs(final_path.parent_path()); !r) return tl::unexpected(r.error());
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (::link(m_tmp_path.c_str(), final_path.c_str()) == 0) {
      if (auto r = util::fsync_dir(final_path.parent_path()); !r) return tl::unexpected(r.error());
      // Our temp pin is on this inode, so it is pinned under its final name too.
      util::UniqueFd fd(::dup(m_fd.get()));
      if (!fd) return util::fail_errno("dup");
      fresh = true;
      return BlobReader(std::move(fd), m_size, digest);
    }
    if (errno != EEXIST) return util::fail_errno("link blob " + final_path.string());
    auto existing = blob_lock::pin(final_path);
    if (!existing) return tl::unexpected(existing.error());
    if (*existing) return BlobReader(std::move((*existing)->fd), m_size, digest);
    // It was being removed while we looked: link ours in its place.
  }
  return util::fail(util::Errc::io, "cannot place blob " + digest.hex() + ": it keeps vanishing");
}

void BlobWriter::abort() {
  m_behind.reset();
  if (m_tmp_path.empty()) return;
  give_back_allocated();  // a partial file kept holds its bytes' blocks only
  // A resumable writer's partial file stays on disk, counted, for the next fetch.
  if (!m_resumable) {
    release(m_size);
    ::unlink(m_tmp_path.c_str());
  }
  m_tmp_path.clear();
  m_fd.reset();
}

void BlobWriter::discard() {
  if (m_tmp_path.empty()) return;
  release(m_size);
  drop_temp();
}

void BlobWriter::drop_temp() {
  m_behind.reset();
  if (m_tmp_path.empty()) return;
  ::unlink(m_tmp_path.c_str());
  m_tmp_path.clear();
  m_fd.reset();
}

void BlobWriter::release(std::uint64_t bytes) {
  if (m_budget) m_budget->release(bytes);
}

util::Result<void> BlobWriter::restart() {
  if (m_tmp_path.empty()) return util::fail(util::Errc::invalid_argument, "blob writer is spent");
  m_behind.reset();
  if (::ftruncate(m_fd.get(), 0) != 0 || ::lseek(m_fd.get(), 0, SEEK_SET) != 0) {
    return util::fail_errno("empty temp blob " + m_tmp_path.string());
  }
  (void)m_hasher.finish();  // resets it
  release(m_size);
  m_size = 0;
  m_allocated = 0;  // the truncation freed them
  return {};
}

} // namespace store
