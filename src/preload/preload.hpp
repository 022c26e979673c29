// Preload: fills a store from a manifest by asking a running engine exactly what Hub
// clients ask later (repo info at the revision, the recursive tree at its commit, then each
// selected file by commit), so replay works although no client ever ran online. Plain URLs
// go through the engine's forward proxy.
#pragma once

#include "hub/lockfile.hpp"
#include "preload/engine_client.hpp"
#include "preload/manifest.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace preload {

// One file (or URL) to fetch, as planned.
struct FileTask {
  std::size_t entry = 0;  // index into the entries
  std::string label;      // "org/name: path" or the URL, for progress lines
  std::string target;     // "/org/name/resolve/<commit>/<path>" or the URL
  std::optional<util::Sha256> sha256;  // what the body must hash to, when known
  std::optional<std::uint64_t> size;
};

// What became of one manifest entry.
struct EntryOutcome {
  std::string name;    // describe(entry)
  std::string source;  // FILE:LINE
  std::string commit;  // repos: what the revision resolved to
  bool stale = false;  // the upstream failed and the stored commit was used
  std::uint64_t files = 0;    // selected files (1 for a URL)
  std::uint64_t fetched = 0;  // of which fetched now
  std::uint64_t present = 0;  // of which already in the store, verified
  std::uint64_t bytes_fetched = 0;
  std::uint64_t bytes_present = 0;
  std::vector<std::string> errors;  // empty: the entry is complete
};

// Sees progress from preload's worker threads (calls are serialised by preload).
class Observer {
public:
  virtual ~Observer() = default;
  // Planning is done: `bytes` are to be fetched in `files` files.
  virtual void planned(std::uint64_t files, std::uint64_t bytes) = 0;
  virtual void advanced(std::uint64_t bytes) = 0;
  // A file finished: fetched, or failed with `error` (empty when fine).
  virtual void file_done(const FileTask& task, std::uint64_t bytes, const std::string& error) = 0;
  // A line worth showing (an entry failed to plan, a stale answer).
  virtual void notice(const std::string& line) = 0;
};

struct PreloadOptions {
  int jobs = 4;
  // The credential scope the engine files what it fetches for this client under (the
  // token's, see cache/credentials.hpp; "" without one). Rows preload writes itself (files
  // it already holds, the complete file lists, a lock's refs) go under it too: what a token
  // fetched is never written as anyone's (issue 14).
  std::string scope;
};

// Plans and fetches every entry; a failed entry does not stop the others. Returns one outcome
// per entry, in manifest order.
std::vector<EntryOutcome> run_preload(const std::vector<Entry>& entries, store::Store& store,
                                      const EngineClient& client, const PreloadOptions& options,
                                      Observer& observer);

// Fetches exactly what `lock` names, each body checked against the lock's sha256 and size,
// then pins the lock's refs in the store. One outcome per locked commit of a repo, then
// one per URL.
std::vector<EntryOutcome> run_locked_preload(const hub::Lockfile& lock, const std::string& lock_name,
                                             store::Store& store, const EngineClient& client,
                                             const PreloadOptions& options, Observer& observer);

} // namespace preload
