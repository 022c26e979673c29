#include "store/eviction.hpp"

#include "store/store.hpp"

#include <functional>

namespace store {

namespace {

// Evicts in LRU order while `more(report)` says so.
util::Result<EvictionReport> evict_while(Store& store, std::uint64_t total,
                                         const std::function<bool(std::uint64_t total, const EvictionReport&)>& more) {
  EvictionReport report;
  std::optional<BlobRow> after;
  while (more(total, report)) {
    auto page = store.index().blobs_by_access(256, after);
    if (!page) return tl::unexpected(page.error());
    if (page->empty()) break;
    for (const auto& row : *page) {
      if (!more(total, report)) break;
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
  return report;
}

} // namespace

util::Result<EvictionReport> evict_to_bound(Store& store, std::uint64_t bound) {
  auto counts = store.index().counts();
  if (!counts) return tl::unexpected(counts.error());
  auto report = evict_while(store, counts->blob_bytes,
                            [bound](std::uint64_t total, const EvictionReport&) { return total > bound; });
  if (report) report->bound_reached = report->bytes_after <= bound;
  return report;
}

util::Result<EvictionReport> evict_bytes(Store& store, std::uint64_t want) {
  auto counts = store.index().counts();
  if (!counts) return tl::unexpected(counts.error());
  return evict_while(store, counts->blob_bytes, [want](std::uint64_t total, const EvictionReport& report) {
    return total > 0 && report.evicted_bytes < want;
  });
}

} // namespace store
