// Streams one blob into tmp/ and, on commit, checks it and moves it into place.
//
// Invariant (DESIGN.md): a blob is visible only when complete. Bytes go to a temp file
// (pinned, so gc leaves it alone); commit() checks the expected size and sha256, fsyncs, and
// links the file to blobs/sha256/ab/<digest>. Nothing is ever visible under a blob name
// until it is whole and verified. A writer that is dropped or fails leaves nothing behind.
#pragma once

#include "store/blob_reader.hpp"
#include "store/layout.hpp"
#include "store/write_behind.hpp"
#include "util/file.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>

namespace store {

class SpaceBudget;

struct BlobExpectation {
  std::optional<std::uint64_t> size;
  std::optional<util::Sha256> sha256;
};

// Movable, not copyable, not thread-safe. Made by BlobStore::begin_write().
class BlobWriter {
public:
  BlobWriter(Layout layout, util::UniqueFd fd, std::filesystem::path tmp_path)
      : m_layout(std::move(layout)), m_fd(std::move(fd)), m_tmp_path(std::move(tmp_path)) {}
  // A resumable writer (BlobStore::begin_resumable): `size` bytes are already in the file
  // and in `hasher`; dropping the writer keeps the file for a later fetch to go on from.
  BlobWriter(Layout layout, util::UniqueFd fd, std::filesystem::path tmp_path,
             util::Sha256Hasher hasher, std::uint64_t size)
      : m_layout(std::move(layout)), m_fd(std::move(fd)), m_tmp_path(std::move(tmp_path)),
        m_hasher(std::move(hasher)), m_size(size), m_resumable(true) {}
  ~BlobWriter() { abort(); }
  BlobWriter(BlobWriter&& other) noexcept;
  BlobWriter& operator=(BlobWriter&& other) noexcept;
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  // Appends bytes. Errc::io (disk full, ...) leaves the writer to be dropped. Once the body
  // passes k_behind_after bytes, hashing and the start of writeback go to a thread of the
  // writer's own (store/write_behind.hpp); the bytes are in the file when this returns.
  util::Result<void> write(std::span<const std::uint8_t> data);
  util::Result<void> write(std::string_view data);

  std::uint64_t size() const { return m_size; }

  // The body will be `total` bytes in all (the upstream's Content-Length). For a large body,
  // disk blocks are then allocated ahead of the bytes, k_allocate_ahead at a time and never
  // past `total`, which makes each write cheaper (issue 17: ext4 no longer reserves delayed
  // blocks page by page). A hint: a failure is ignored, the file's size stays that of the
  // bytes written (a partial file resumes from them), blocks past them are given back when
  // the writer ends, and a store with a size bound gets none (its bound counts bytes).
  void expect_total(std::uint64_t total);
  // The growing temp file, for readers that follow a fetch in flight.
  const std::filesystem::path& tmp_path() const { return m_tmp_path; }

  // Checks `expect` (Errc::corrupt on a mismatch, and nothing is kept), makes the blob durable
  // and visible, and returns it pinned: hold the reader while indexing it so that no gc can
  // remove it first. If the blob already exists the existing copy is kept (idempotent; two
  // writers of the same content end with one file). The writer is spent afterwards.
  util::Result<BlobReader> commit(const BlobExpectation& expect = {});

  // Drops the temp file: deleted, or for a resumable writer kept as it is. Safe to call twice.
  void abort();
  // Deletes the temp file whatever kind of writer this is. Safe to call twice.
  void discard();
  // Empties the file to start the body again from byte 0 (a resume the upstream refused).
  util::Result<void> restart();
  bool resumable() const { return m_resumable; }

  // Bodies smaller than this are hashed on the writing thread: no thread is worth starting.
  static constexpr std::uint64_t k_behind_after = 4u << 20;
  static constexpr std::uint64_t k_allocate_ahead = 128u << 20;

  // Reserve every appended byte from `budget` (a bounded store); bytes the file already
  // holds were counted when the store was opened or when they were written.
  void set_budget(std::shared_ptr<SpaceBudget> budget) { m_budget = std::move(budget); }

private:
  // `fresh`: the blob is new (else the store had it, and this copy goes).
  util::Result<BlobReader> place(const util::Sha256& digest, bool& fresh);
  void drop_temp();  // unlinks the temp name; the inode may live on as the blob
  void release(std::uint64_t bytes);
  void allocate_ahead();
  void give_back_allocated();  // the blocks allocated past the bytes written
  util::Sha256 digest();  // of every byte written; the hasher is reset

  Layout m_layout;
  util::UniqueFd m_fd;
  std::filesystem::path m_tmp_path; // empty once committed or aborted
  util::Sha256Hasher m_hasher;  // the bytes so far, unless m_behind holds them
  // Declared after m_fd: it refers to it, and is dropped before it (abort(), drop_temp()).
  std::unique_ptr<WriteBehind> m_behind;
  std::uint64_t m_size = 0;
  std::uint64_t m_expected_total = 0;  // 0: unknown, or too small to allocate ahead
  std::uint64_t m_allocated = 0;       // blocks are allocated below this offset
  bool m_resumable = false;
  std::shared_ptr<SpaceBudget> m_budget;
};

} // namespace store
