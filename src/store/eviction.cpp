#include "store/eviction.hpp"

#include "store/store.hpp"

namespace store {

util::Result<EvictionReport> evict_to_bound(Store& store, std::uint64_t bound) {
  EvictionReport report;
  auto counts = store.index().counts();
  if (!counts) return tl::unexpected(counts.error());
  std::uint64_t total = counts->blob_bytes;
  std::optional<BlobRow> after;
  while (total > bound) {
    auto page = store.index().blobs_by_access(256, after);
    if (!page) return tl::unexpected(page.error());
    if (page->empty()) break;
    for (const auto& row : *page) {
      if (total <= bound) break;
      std::uint64_t entries = 0;
      auto outcome = store.blobs().remove(row.digest, [&]() -> util::Result<void> {
        auto deleted = store.index().delete_blob(row.digest);
        if (!deleted) return tl::unexpected(deleted.error());
        entries = *deleted;
        return {};
      });
      if (!outcome) return tl::unexpected(outcome.error());
      if (*outcome == RemoveOutcome::in_use) {
        ++report.skipped_in_use;
        continue;
      }
      // `absent`: the file was already gone (its row is removed now); it held no bytes.
      if (*outcome == RemoveOutcome::removed) {
        ++report.evicted_blobs;
        report.evicted_bytes += row.size;
      }
      report.evicted_entries += entries;
      total -= row.size;
    }
    after = page->back();
  }
  report.bytes_after = total;
  report.bound_reached = total <= bound;
  return report;
}

} // namespace store
