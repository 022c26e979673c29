// A commit's complete file list, as a recorded listing that names every file proves it: a
// recursive tree listing of the repository's root (all its pages), or repo info whose
// siblings name every file. Replay makes a listing the client asks in another shape only from
// such a list, never from the files the store happens to hold (issue 15: made from some of a
// commit's files, `ls data/` showed 1 file of 3 and was served as a hit).
//
// Where the list is kept, and why: it is written once, when the listing that proves it is
// recorded, as an exchange keyed "hub-listing TYPE REPO COMMIT" (+ " credential=SCOPE", like
// every answer) whose body is the files and directories in the Hub's tree JSON. Not derived at
// read time: one listing is recorded under many keys (recursive=True/true/1, cursor pages, the
// blobs= and expand= of repo info), which a reader could only find by scanning every exchange.
// Not a table of the index: an exchange needs no schema change (old stores open as they are,
// an older hubcache ignores it), and it is published to a bucket, baked and evicted with the
// answers it was made from. A store recorded before has none; there, preload's path list
// (file_list.hpp) stands in, with details from the held files.
#pragma once

#include "hub/listing.hpp"
#include "store/store.hpp"
#include "util/headers.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub {

// Filed under the scope of the credential the listing was fetched with, and read for that
// scope only (issue 14: what one credential listed never tells another which files exist).
std::string commit_listing_key(store::RepoType type, const store::RepoId& repo_id,
                               const store::CommitId& commit, const std::string& scope);

// Records the complete list at the commit, replacing an earlier one.
util::Result<void> put_commit_listing(store::Store& store, store::RepoType type,
                                      const store::RepoId& repo_id, const store::CommitId& commit,
                                      const std::string& scope, const CommitListing& listing);

// The complete list at the commit for `scope`: the recorded one, else preload's path list
// (paths only, no details). std::nullopt: no complete list is known, and a listing in a shape
// not recorded is a miss. Errc::io/corrupt when a record cannot be read.
util::Result<std::optional<CommitListing>> find_commit_listing(store::Store& store,
                                                               store::RepoType type,
                                                               const store::RepoId& repo_id,
                                                               const store::CommitId& commit,
                                                               const std::string& scope);

// Gives each listed file without details those of the held Hub object at its path (the
// objects of the same commit). Files not listed are not added: holding a file says nothing of
// the others.
void add_details(CommitListing& listing, const std::vector<store::HubObject>& held);

// The list the pages of a recursive tree listing of the root name, in order (the record's
// body is one such page). File entries without a size or oid are listed without details.
// std::nullopt when a page is not a JSON array or names a path that is not one.
std::optional<CommitListing> listing_of_tree_pages(const std::vector<std::string>& pages);

// The commit repo info names ("sha") and the list its siblings name (with details under
// blobs=true). std::nullopt when it names no commit, or its siblings are absent, empty or more
// than huggingface_hub believes complete (50,000: the Hub may cut them short).
struct RepoInfoListing {
  store::CommitId commit;
  CommitListing listing;
};
std::optional<RepoInfoListing> listing_of_repo_info(std::string_view body);

// The listing in the form the record keeps: one tree JSON page, files and directories.
std::string listing_json(const CommitListing& listing);

// The query of a paginated listing's first page, given any page's: without its `cursor`.
std::string first_page_query(std::string_view query);


} // namespace hub
