// Re-hashes every blob; quarantines bad ones and removes the entries that named them.
#pragma once

#include "util/result.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace store {

class Store;

struct VerifyProblem {
  enum class Kind {
    corrupt, // content does not hash to its name, or its size is not the indexed size
    missing, // indexed, but the file is gone
    stray,   // a file under blobs/ that is not named like a blob
  };
  Kind kind;
  std::string path;
  std::string detail;
  std::uint64_t entries_removed = 0;
  std::string quarantined_to; // corrupt only
};

std::string_view to_string(VerifyProblem::Kind kind);

struct VerifyReport {
  std::uint64_t blobs_checked = 0;
  std::uint64_t bytes_checked = 0;
  std::uint64_t orphan_files = 0; // whole blobs no entry names: gc's work, not a problem
  std::vector<VerifyProblem> problems;
};

struct VerifyProgress {
  std::function<void(std::uint64_t total_bytes)> start;
  std::function<void(std::uint64_t bytes)> advance;
};

// Checks every indexed blob against its name and size, and looks for files not indexed.
// A bad blob's rows go first, then the file moves to quarantine/. Errc::io only when the
// store itself cannot be read; bad blobs are reported, not errors.
util::Result<VerifyReport> verify(Store& store, const VerifyProgress& progress = {});

} // namespace store
