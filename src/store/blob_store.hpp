// The content-addressed blob folder: blobs/sha256/ab/<digest>, written through tmp/.
// Knows files and locks, not the index; Store ties the two together.
#pragma once

#include "store/blob_reader.hpp"
#include "store/blob_writer.hpp"
#include "store/layout.hpp"
#include "util/clock.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

namespace store {

enum class RemoveOutcome { removed, in_use, absent };

// Safe from any thread and any number of processes sharing the folder.
class BlobStore {
public:
  explicit BlobStore(Layout layout) : m_layout(std::move(layout)) {}

  // Creates blobs/, tmp/ and quarantine/ if missing.
  util::Result<void> create_dirs() const;

  // Opens blob `digest` for reading, pinned. std::nullopt: no such blob (a miss, not an
  // error); Errc::io: it exists but cannot be opened.
  util::Result<std::optional<BlobReader>> open(const util::Sha256& digest) const;

  // Starts a new blob in tmp/. Errc::io if tmp/ is not writable.
  util::Result<BlobWriter> begin_write() const;
  // A writer for a body expected to hash to `expected` that outlives an interrupted fetch, even
  // a killed process: its temp file is tmp/partial-<hex>, held exclusively while written, kept
  // when the writer is dropped (deleted when its content proves wrong), so a later fetch of
  // the same content goes on from where this one stopped. The bytes already there are hashed
  // again first. When another writer holds that file, a plain begin_write().
  util::Result<BlobWriter> begin_resumable(const util::Sha256& expected) const;

  // Removes blob `digest` unless it is pinned (in_use). `before_unlink` runs while the blob
  // is claimed, so no one can pin it meanwhile; it is where index rows naming the blob are
  // deleted, so an entry never names a missing blob. If it fails, the blob stays.
  util::Result<RemoveOutcome>
  remove(const util::Sha256& digest,
         const std::function<util::Result<void>()>& before_unlink) const;

  // Like remove(), but moves the file to quarantine/ for inspection, even if pinned (a
  // corrupt blob is no use to its readers either). Returns the new path.
  util::Result<std::optional<std::filesystem::path>> quarantine(const util::Sha256& digest,
                                                                util::UnixMillis now) const;

  struct FileInfo {
    util::Sha256 digest;
    std::uint64_t size = 0;
  };
  // Calls `visit` for every blob file (its name, not its content, gives the digest), and
  // `stray` for any other path found under blobs/. Visiting order is unspecified.
  util::Result<void>
  for_each_file(const std::function<util::Result<void>(const FileInfo&)>& visit,
                const std::function<void(const std::filesystem::path&)>& stray) const;

  struct TmpSweep {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
  };
  // Deletes temp files that no live writer holds (their writer died).
  util::Result<TmpSweep> sweep_tmp() const;

  const Layout& layout() const { return m_layout; }
  // Writers made from now on reserve their bytes from `budget` (null: unbounded).
  void set_budget(std::shared_ptr<SpaceBudget> budget) { m_budget = std::move(budget); }

private:
  Layout m_layout;
  std::shared_ptr<SpaceBudget> m_budget;
};

} // namespace store
