// The locking protocol that keeps blobs alive while anyone uses them, across processes.
//
// A *pin* is an open descriptor holding flock(LOCK_SH) on a file whose path still names it.
// Readers and writers pin; a writer pins its temp file from creation until its blob's index
// rows are committed. A *claim* is flock(LOCK_EX | LOCK_NB) taken only to remove a name
// (eviction, gc, stale temp files): it fails while any pin exists, so nothing open for
// reading or being written is ever removed. A pinner that waited behind a claim re-checks
// that the path still names its file and otherwise sees the file as gone.
// flock locks belong to the open file description, so this holds between threads too.
#pragma once

#include "util/file.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>

namespace store::blob_lock {

struct Pinned {
  util::UniqueFd fd;
  std::uint64_t size = 0;
};

// Pins `path`. std::nullopt: no such file, or it was removed while we waited.
util::Result<std::optional<Pinned>> pin(const std::filesystem::path& path);

// Pins a file just created through `fd` at `path`; false if a claimer removed it first.
util::Result<bool> pin_created(int fd, const std::filesystem::path& path);

enum class ClaimStatus { claimed, in_use, absent };
struct Claim {
  ClaimStatus status = ClaimStatus::absent;
  util::UniqueFd fd; // holds LOCK_EX when status == claimed
};

// Tries to claim `path` without waiting.
util::Result<Claim> claim(const std::filesystem::path& path);

} // namespace store::blob_lock
