// The JSON the Hub gives for repo info, tree listings and paths-info (hf-protocol.md §3),
// made from the files hubcache holds at a commit: what replay answers when a listing was not
// recorded but the commit's files were.
#pragma once

#include "store/entry.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// GET /api/{type}s/{repo}[/revision/{rev}]: id, sha, siblings (+ size, blobId, lfs with
// blobs=true in `query`).
std::string repo_info_json(store::RepoType type, const store::RepoId& repo_id,
                           const store::CommitId& commit, const std::vector<store::HubObject>& files,
                           std::string_view query);

// GET /api/{type}s/{repo}/tree/{rev}/{folder}: the entries under `folder` ("" for the root),
// with directories; all depths when `recursive`. One page, no Link.
std::string tree_json(const std::string& folder, const std::vector<store::HubObject>& files,
                      bool recursive, bool expand, const store::CommitId& commit);

// The body of POST paths-info: the paths asked and whether to expand.
struct PathsInfoQuery {
  std::vector<std::string> paths;
  bool expand = false;
};
// Reads a form body (paths=a&paths=b&expand=False) or a JSON one ({"paths": [...]}).
std::optional<PathsInfoQuery> parse_paths_info(std::string_view body, std::string_view content_type);
std::string paths_info_json(const PathsInfoQuery& query, const std::vector<store::HubObject>& files,
                            const store::CommitId& commit);

// The "sha" of a repo info answer, or "" if there is none.
std::string repo_info_sha(std::string_view json);

// A boolean query parameter as the clients send it ("true", "True", "1").
bool query_flag(std::string_view query, std::string_view name);

// The git object id of a file's content ("blob <size>\0" + content), and of the LFS pointer
// file git holds in place of an LFS file.
std::string lfs_pointer(const std::string& sha256, std::uint64_t size);

} // namespace hub
