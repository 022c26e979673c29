// The JSON the Hub gives for repo info, tree listings and paths-info (hf-protocol.md §3),
// made from a commit's files: what replay answers when a listing was not recorded in the
// shape a client asks. The caller hands in every file of the commit (commit_listing.hpp says
// where such a list comes from); an answer is made only from what the list knows.
#pragma once

#include "store/entry.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// A file of a commit as a listing names it. What the Hub says of it beyond its path:
struct FileDetails {
  std::uint64_t size = 0;
  store::Etag oid;                        // the git blob id (of the LFS pointer for an LFS file)
  std::optional<store::Etag> lfs_sha256;  // set for an LFS file
  std::string last_commit;                // the recorded "lastCommit" object as JSON text, or ""
};
struct ListedFile {
  store::RepoPath path;
  // Absent when only the path is known (repo info's siblings name files by path alone):
  // no answer that shows more than the path is made from such a file.
  std::optional<FileDetails> details;
};

// Every file of one commit, in path order, and the git tree ids of its directories where a
// recorded listing named them.
struct CommitListing {
  std::vector<ListedFile> files;
  std::map<std::string, store::Etag> directory_oids;
};

// The listing of held Hub objects (each has its details: the etag is the Hub's oid or sha256).
CommitListing listing_of(const std::vector<store::HubObject>& files);

// Each answer below is std::nullopt when a file it would show has no details: a miss, never
// a made-up entry. A directory's oid is the recorded one, else sha1 of its path; lastCommit
// (expand) is the recorded one, else the commit itself.

// GET /api/{type}s/{repo}[/revision/{rev}]: id, sha, siblings (+ size, blobId, lfs with
// blobs=true in `query`).
std::optional<std::string> repo_info_json(store::RepoType type, const store::RepoId& repo_id,
                                          const store::CommitId& commit,
                                          const CommitListing& listing, std::string_view query);

// GET /api/{type}s/{repo}/tree/{rev}/{folder}: the entries under `folder` ("" for the root),
// with directories; all depths when `recursive`. One page, no Link.
std::optional<std::string> tree_json(const std::string& folder, const CommitListing& listing,
                                     bool recursive, bool expand, const store::CommitId& commit);

// The body of POST paths-info: the paths asked and whether to expand.
struct PathsInfoQuery {
  std::vector<std::string> paths;
  bool expand = false;
};
// Reads a form body (paths=a&paths=b&expand=False) or a JSON one ({"paths": [...]}).
std::optional<PathsInfoQuery> parse_paths_info(std::string_view body, std::string_view content_type);
std::optional<std::string> paths_info_json(const PathsInfoQuery& query,
                                           const CommitListing& listing,
                                           const store::CommitId& commit);

// The "sha" of a repo info answer, or "" if there is none.
std::string repo_info_sha(std::string_view json);

// A boolean query parameter as the clients send it ("true", "True", "1").
bool query_flag(std::string_view query, std::string_view name);

// The git object id of a file's content ("blob <size>\0" + content), and of the LFS pointer
// file git holds in place of an LFS file.
std::string lfs_pointer(const std::string& sha256, std::uint64_t size);

} // namespace hub
