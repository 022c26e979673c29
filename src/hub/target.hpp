// Which Hub route a request target is, parsed as the clients build them
// (shared/hf-protocol.md §1.1-1.2, §3): revisions percent-encoded ("refs%2Fpr%2F3") or raw
// ("refs/pr/3"), legacy repo ids without an org ("gpt2"), paths decoded exactly once.
#pragma once

#include "store/entry.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace hub {

enum class Route {
  resolve,     // /{P}{repo}/resolve/{rev}/{path}, also /raw/
  repo_info,   // /api/{type}s/{repo}[/revision/{rev}]
  tree,        // /api/{type}s/{repo}/tree/{rev}[/{path}]
  paths_info,  // /api/{type}s/{repo}/paths-info/{rev}   (POST)
  xet_token,   // /api/{type}s/{repo}/xet-read-token/{rev}
  telemetry,   // /api/telemetry/...
  api_other,   // any other /api/...: recorded, never synthesized
};

// A Hub file as a /resolve/ (or /raw/) target names it.
struct FileTarget {
  store::RepoType type = store::RepoType::model;
  store::RepoId repo_id;
  store::Revision revision;  // decoded: a branch, tag or commit
  store::RepoPath path;      // decoded, exactly once
};

// The names are validated values (store/names.hpp): a target that parses names no file
// outside its repo and puts nothing but its own text into a header.
struct Target {
  Route route = Route::resolve;
  store::RepoType type = store::RepoType::model;
  std::optional<store::RepoId> repo_id;     // every route but telemetry and api_other
  std::optional<store::Revision> revision;  // absent: repo info without one (the client means main)
  std::optional<store::RepoPath> path;      // resolve: the file; tree: the folder (absent: the root)
  std::string query;                        // as sent, without '?'

  // The file of a resolve target (route == resolve: every name is there).
  FileTarget file() const { return {type, *repo_id, *revision, *path}; }
};

// The Hub route of an origin-form target: std::nullopt for anything that is not one (served
// as a plain recorded exchange); Errc::invalid_argument for a Hub route whose repo id,
// revision or path does not validate ("/org/name/resolve/main/../x", a NUL, a bad repo id),
// which the caller answers 400. Every /api/ target is the Hub's.
util::Result<std::optional<Target>> parse_target(std::string_view target);

// True for a full commit id: 40 lower-case hex digits.
bool is_commit(std::string_view revision);
// The commit a revision names by itself, if it is one.
std::optional<store::CommitId> as_commit(const store::Revision& revision);

// The URL path prefix of a repo type: "", "datasets/", "spaces/".
std::string_view url_prefix(store::RepoType type);

} // namespace hub
