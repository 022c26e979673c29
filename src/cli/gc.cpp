// `hubcache gc`: remove garbage and, with --max-size, evict least recently used content.
#include "store/gc.hpp"

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "store/eviction.hpp"
#include "util/size.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct GcOptions {
  bool json = false;
  std::optional<std::uint64_t> max_size;
};

int run_gc(const GlobalOptions& global, const GcOptions& options) {
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
  auto garbage = store::collect_garbage(**store);
  if (!garbage) return report(garbage.error());
  std::optional<store::EvictionReport> eviction;
  if (options.max_size) {
    auto evicted = store::evict_to_bound(**store, *options.max_size);
    if (!evicted) return report(evicted.error());
    eviction = *evicted;
  }
  auto counts = (*store)->index().counts();
  if (!counts) return report(counts.error());
  if (auto r = (*store)->index().checkpoint(); !r) return report(r.error());

  if (options.json) {
    nlohmann::json out = {{"tmp_files_removed", garbage->tmp_files},
                          {"orphan_files_removed", garbage->orphan_files},
                          {"unreferenced_blobs_removed", garbage->unreferenced_blobs},
                          {"freed_bytes", garbage->freed_bytes},
                          {"skipped_in_use", garbage->skipped_in_use},
                          {"blobs", counts->blobs},
                          {"blob_bytes", counts->blob_bytes}};
    if (eviction) {
      out["max_size"] = *options.max_size;
      out["evicted_blobs"] = eviction->evicted_blobs;
      out["evicted_bytes"] = eviction->evicted_bytes;
      out["evicted_entries"] = eviction->evicted_entries;
      out["skipped_in_use"] = garbage->skipped_in_use + eviction->skipped_in_use;
      out["bound_reached"] = eviction->bound_reached;
    }
    print_json(out);
    return k_exit_ok;
  }
  std::printf("removed %llu temp files, %llu unindexed blob files, %llu unreferenced blobs: "
              "freed %s\n",
              static_cast<unsigned long long>(garbage->tmp_files),
              static_cast<unsigned long long>(garbage->orphan_files),
              static_cast<unsigned long long>(garbage->unreferenced_blobs),
              util::format_size(garbage->freed_bytes).c_str());
  if (eviction) {
    std::printf("evicted %llu blobs (%llu entries, %s) to fit %s\n",
                static_cast<unsigned long long>(eviction->evicted_blobs),
                static_cast<unsigned long long>(eviction->evicted_entries),
                util::format_size(eviction->evicted_bytes).c_str(),
                util::format_size(*options.max_size).c_str());
    if (!eviction->bound_reached) {
      std::printf("still over the bound: %llu blobs are in use; run gc again when they are "
                  "closed\n",
                  static_cast<unsigned long long>(eviction->skipped_in_use));
    }
  }
  std::printf("store now %s in %llu blobs\n", util::format_size(counts->blob_bytes).c_str(),
              static_cast<unsigned long long>(counts->blobs));
  return k_exit_ok;
}

} // namespace

Command add_gc(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<GcOptions>();
  auto* app = parent.add_subcommand(
      "gc", "Remove garbage (stale temp files, unreferenced blobs); with --max-size, evict least "
            "recently used content");
  add_store_option(*app, global);
  app->add_flag("--json", options->json, "Print JSON on stdout");
  add_size_option(*app, "--max-size", options->max_size,
                  "Evict least recently used blobs until the store holds at most SIZE "
                  "(k/M/G/T = 1000^n, Ki/Mi/Gi/Ti = 1024^n)",
                  "HUBCACHE_MAX_SIZE");
  return {app, [&global, options] { return run_gc(global, *options); }};
}

} // namespace cli
