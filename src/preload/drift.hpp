// `preload --check`: which branches of a manifest moved upstream since they were recorded,
// asked of the Hub itself (repo info and tree listings, never a body), and nothing written
// to the store, so that replay keeps serving what was recorded.
#pragma once

#include "preload/engine_client.hpp"
#include "preload/manifest.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace preload {

struct Drift {
  std::string name;    // describe(entry)
  std::string source;  // FILE:LINE
  std::string recorded;  // the commit the store has for the revision; "" if none
  std::string upstream;  // the commit the Hub names now
  bool moved = false;    // recorded != upstream (or nothing recorded)
  // Among the files the manifest selects: added, changed or removed, and the bytes a
  // refresh would fetch (the added and changed ones).
  std::uint64_t files_changed = 0;
  std::uint64_t bytes = 0;
  std::string error;  // the check itself failed
};

// What was recorded, to compare with the Hub: a store, or a bucket the refresh job fills.
class Recorded {
public:
  virtual ~Recorded() = default;
  // The commit recorded for the entry's revision; nullopt if none.
  virtual util::Result<std::optional<store::CommitId>> commit(const RepoEntry& repo) = 0;
  virtual util::Result<std::vector<store::HubObject>> files(const RepoEntry& repo,
                                                            const store::CommitId& commit) = 0;
};

// One result per repo entry (URLs and entries pinned to a commit cannot move).
std::vector<Drift> check_drift(const std::vector<Entry>& entries, Recorded& recorded,
                               const EngineClient& hub);
std::vector<Drift> check_drift(const std::vector<Entry>& entries, store::Store& store,
                               const EngineClient& hub);

} // namespace preload
