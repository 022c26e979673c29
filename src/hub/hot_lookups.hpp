// What a Hub hit reads, kept in memory (issue 17): the commit a branch or tag names, the
// file at a commit with its body open and pinned and its headers made, and what the Hub said
// about a path that is no file (transformers probes several such paths on every load). A hit then costs no
// index query, no open(2) and no flock(2).
//
// Why it stays right (cache/hot_entries.hpp): a ref is dropped as soon as this process learns
// any ref (Store::ref_generation), and every entry is trusted for at most HotEntries::k_ttl,
// which bounds how long another process's change goes unnoticed. A file at a commit never
// changes; its pin keeps its blob from being evicted while it is kept. Each entry is keyed by
// everything its lookup took, the credential scope and the match included, so what one
// credential read is never another's answer. Only what was found is kept.
#pragma once

#include "cache/hot_entries.hpp"
#include "store/store.hpp"

#include <memory>
#include <optional>

namespace hub {

// A file the store holds, as a hit serves it. Immutable once made.
struct HotFile {
  store::HubObject object;
  std::shared_ptr<const store::BlobReader> body;  // pinned
  util::Headers headers;                          // file_headers(object)
};

// Safe from any thread. `store` must outlive it.
class HotLookups {
public:
  // `files`: how many files, and as many answers, may be kept open at once (each holds a
  // descriptor).
  HotLookups(store::Store& store, std::size_t files);

  util::Result<std::optional<store::CommitId>> commit_of(store::RepoType type, const store::RepoId& repo_id,
                                                         const store::Revision& revision,
                                                         const std::string& scope,
                                                         store::CredentialMatch match);
  // Out of descriptors (Errc::io from the open), the kept files are let go once and the
  // lookup tried again: a burst of distinct hits must not turn into 500s (issue 14).
  util::Result<std::shared_ptr<const HotFile>> file(const store::HubObjectKey& key,
                                                    store::CredentialMatch match);
  // A recorded exchange (what the Hub said instead of a file: 404 EntryNotFound, a gated
  // repo...), its body pinned; kept while this process records no exchange
  // (Store::exchange_generation). Null when the store has none.
  util::Result<std::shared_ptr<const store::Found<store::Exchange>>> exchange(const std::string& key);

private:
  store::Store& m_store;
  cache::HotEntries<store::CommitId> m_refs;
  cache::HotEntries<std::shared_ptr<const HotFile>> m_files;
  cache::HotEntries<std::shared_ptr<const store::Found<store::Exchange>>> m_exchanges;
};

} // namespace hub
