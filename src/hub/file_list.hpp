// Every path of a repository at a commit, as a complete recursive listing named them.
// Preload writes it, fetching only what the manifest's globs select; replay reads it to
// answer the Hub's own 404 EntryNotFound for a path that does not exist at the commit
// (clients probe for optional files: added_tokens.json, chat_template.jinja, ...), instead
// of a miss. Stored as an exchange keyed "hub-files TYPE REPO COMMIT" whose body is the
// sorted paths, one a line.
#pragma once

#include "store/store.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace hub {

// The list is as private as what it lists: recorded with a credential, it is filed under that
// credential's scope (like every answer), never baked, and never consulted for another
// credential (issue 14: a client without the token must not learn which files exist).
std::string file_list_key(store::RepoType type, const store::RepoId& repo_id,
                          const store::CommitId& commit, const std::string& scope);

// Records `body` as the answer to `key`: a record hubcache writes itself about a commit (its
// file list, its complete listing), kept, published and baked as exchanges are.
util::Result<void> put_record(store::Store& store, const std::string& key, const std::string& body,
                              std::string content_type);

// Records the complete list of `paths` at the commit (replacing an earlier one).
util::Result<void> put_file_list(store::Store& store, store::RepoType type,
                                 const store::RepoId& repo_id, const store::CommitId& commit,
                                 const std::string& scope, std::vector<store::RepoPath> paths);

// Every path listed at the commit, in order; std::nullopt when no complete list was recorded
// for `scope`. A line that is not a path (someone else wrote the store) is Errc::corrupt.
util::Result<std::optional<std::vector<store::RepoPath>>> file_list(store::Store& store,
                                                                    store::RepoType type,
                                                                    const store::RepoId& repo_id,
                                                                    const store::CommitId& commit,
                                                                    const std::string& scope);

// Whether `path` exists at the commit; std::nullopt when no complete list was recorded for
// `scope`.
util::Result<std::optional<bool>> file_listed(store::Store& store, store::RepoType type,
                                              const store::RepoId& repo_id,
                                              const store::CommitId& commit,
                                              const std::string& scope, const store::RepoPath& path);

} // namespace hub
