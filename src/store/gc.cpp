#include "store/gc.hpp"

#include "store/store.hpp"

#include <vector>

namespace store {

util::Result<GarbageReport> collect_garbage(Store& store) {
  GarbageReport report;
  auto tmp = store.blobs().sweep_tmp();
  if (!tmp) return tl::unexpected(tmp.error());
  report.tmp_files = tmp->files;
  report.freed_bytes += tmp->bytes;

  auto unreferenced = store.index().unreferenced_blobs();
  if (!unreferenced) return tl::unexpected(unreferenced.error());
  for (const auto& row : *unreferenced) {
    bool still_unreferenced = true;
    auto outcome = store.blobs().remove(row.digest, [&]() -> util::Result<void> {
      // An entry may have been added since we listed; deleting would cascade to it.
      auto deleted = store.index().delete_blob_if_unreferenced(row.digest);
      if (!deleted) return tl::unexpected(deleted.error());
      still_unreferenced = *deleted;
      return still_unreferenced ? util::Result<void>{}
                                : util::fail(util::Errc::invalid_argument, "referenced again");
    });
    if (!still_unreferenced) continue;
    if (!outcome) return tl::unexpected(outcome.error());
    if (*outcome == RemoveOutcome::in_use) {
      ++report.skipped_in_use;
    } else {
      ++report.unreferenced_blobs;
      if (*outcome == RemoveOutcome::removed) report.freed_bytes += row.size;
    }
  }

  // Files with no row: list first, then claim each and re-check, because a writer may have
  // indexed the blob since (it pins the blob until its row is committed, so once we hold the
  // claim the answer cannot change under us).
  std::vector<BlobStore::FileInfo> candidates;
  auto listed = store.blobs().for_each_file(
      [&](const BlobStore::FileInfo& file) -> util::Result<void> {
        auto row = store.index().find_blob(file.digest);
        if (!row) return tl::unexpected(row.error());
        if (!*row) candidates.push_back(file);
        return {};
      },
      [](const std::filesystem::path&) {});
  if (!listed) return tl::unexpected(listed.error());
  for (const auto& file : candidates) {
    bool indexed = false;
    auto outcome = store.blobs().remove(file.digest, [&]() -> util::Result<void> {
      auto row = store.index().find_blob(file.digest);
      if (!row) return tl::unexpected(row.error());
      indexed = row->has_value();
      return indexed ? util::fail(util::Errc::invalid_argument, "indexed meanwhile")
                     : util::Result<void>{};
    });
    if (indexed) continue;
    if (!outcome) return tl::unexpected(outcome.error());
    if (*outcome == RemoveOutcome::in_use) {
      ++report.skipped_in_use;
    } else if (*outcome == RemoveOutcome::removed) {
      ++report.orphan_files;
      report.freed_bytes += file.size;
    }
  }
  return report;
}

} // namespace store
