// Writes what the store knows of Hub repos as the standard Hugging Face cache
// (HF_HUB_CACHE): {models,datasets,spaces}--org--name/{blobs/<etag>,
// snapshots/<commit>/<path>, refs/<revision>}, the layout huggingface_hub and transformers
// read with HF_HUB_OFFLINE=1.
#pragma once

#include "store/store.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace hub {

struct ExportOptions {
  // Snapshot files as relative symlinks into blobs/ (as the Python client makes them), or
  // as real files with no blobs/ (what a shared read-only mount, or Windows, needs).
  bool symlinks = true;
  // Repos to export ("org/name", or "dataset:org/name" to name the type); empty: all.
  std::vector<std::string> repos;
};

struct ExportTotals {
  std::uint64_t repos = 0;
  std::uint64_t revisions = 0;  // snapshots written or confirmed
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t linked = 0;     // blobs hard-linked from the store
  std::uint64_t copied = 0;     // blobs copied (another file system)
  std::uint64_t unchanged = 0;  // already there from an earlier export
  std::uint64_t refs = 0;
  std::vector<std::string> errors;  // one line each; the rest was still exported
};

using store::repo_folder;

// Exports into `out` (created if missing), merging with what is there: running it twice
// changes nothing the second time. `progress(line)` gets a line per repo exported.
util::Result<ExportTotals> export_hf_cache(store::Store& store, const std::filesystem::path& out,
                                           const ExportOptions& options,
                                           const std::function<void(const std::string&)>& progress);

} // namespace hub
