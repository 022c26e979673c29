// `hubcache bake`: a store, or part of it, as a reproducible tar.zst that, extracted, is a
// store (index.db plus blobs/sha256/ab/<digest>), so a Dockerfile can ADD it as a layer. The
// same content gives the same bytes: entries sorted, fixed mtimes (SOURCE_DATE_EPOCH or 0),
// owner 0:0, modes 0644/0755, and an index written afresh in key order with every time set to
// that mtime, then VACUUMed; a recorded answer's Date header (when it was recorded) is left
// out. Content recorded with a credential is never baked.
#pragma once

#include "store/store.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace store {

struct BakeOptions {
  // Only these repos (type, id): their files, refs and the Hub's answers about them. Empty:
  // everything that is not private, URLs included.
  std::vector<std::pair<RepoType, RepoId>> repos;
  std::int64_t mtime = 0;  // seconds since the epoch
};

struct BakeTotals {
  std::uint64_t hub_objects = 0;
  std::uint64_t refs = 0;
  std::uint64_t exchanges = 0;
  std::uint64_t blobs = 0;
  std::uint64_t blob_bytes = 0;
  std::uint64_t private_skipped = 0;  // entries recorded with a credential
  std::uint64_t archive_bytes = 0;
  util::Sha256 archive_sha256 = util::Sha256::of(std::string_view());
};

// Writes the archive to `output` (through a temporary file beside it: a failed bake leaves
// nothing). `progress` sees blob bytes as they are written.
util::Result<BakeTotals> bake(Store& source, const std::filesystem::path& output,
                              const BakeOptions& options,
                              const std::function<void(std::uint64_t total, std::uint64_t done)>&
                                  progress = {});

struct ImportTotals {
  std::uint64_t blobs = 0;         // verified and stored (or already there)
  std::uint64_t blob_bytes = 0;
  std::uint64_t hub_objects = 0;
  std::uint64_t refs = 0;
  std::uint64_t exchanges = 0;
  std::vector<std::string> errors;  // blobs that did not hash to their name, rows skipped
};

// Merges a baked archive into `target`: every blob is hashed and must match its name before
// it is stored; then the archive's rows naming verified blobs are added (refs replace the
// target's for the same name). A damaged archive is an error and no row is added.
util::Result<ImportTotals> import_bake(Store& target, const std::filesystem::path& archive);

} // namespace store
