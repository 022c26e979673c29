// Which Hub route a request target is, parsed as the clients build them
// (shared/hf-protocol.md §1.1-1.2, §3): revisions percent-encoded ("refs%2Fpr%2F3") or raw
// ("refs/pr/3"), legacy repo ids without an org ("gpt2"), paths decoded exactly once.
#pragma once

#include "store/entry.hpp"

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

struct Target {
  Route route = Route::resolve;
  store::RepoType type = store::RepoType::model;
  std::string repo_id;
  std::string revision;  // decoded; "" for repo info without one (the client means main)
  std::string path;      // decoded: a file for resolve, a folder for tree
  std::string query;     // as sent, without '?'
};

// The Hub route of an origin-form target, or std::nullopt for anything else (served as a
// plain recorded exchange). Every /api/ target is the Hub's.
std::optional<Target> parse_target(std::string_view target);

// True for a full commit id: 40 lower-case hex digits.
bool is_commit(std::string_view revision);

// The URL path prefix of a repo type: "", "datasets/", "spaces/".
std::string_view url_prefix(store::RepoType type);

} // namespace hub
