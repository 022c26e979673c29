// Where things live in a hubcache bucket (relative to s3://BUCKET/PREFIX/), and how rows are
// written there. Publication order makes every name point at content already there:
//   blobs/sha256/ab/<digest>                          bodies, immutable, written first
//   meta/files/<models--org--name>/<commit>/<path>    a Hub file at a commit, immutable
//   meta/exchanges/ab/<sha256 of the key>             a recorded answer, by its key
//   refs/<models--org--name>/<name>                   branch or tag → commit, written last
// Rows are small JSON documents (doc/store-format.md, "The bucket").
#pragma once

#include "store/entry.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace remote {

std::string blob_key(const util::Sha256& digest);
std::string file_key(store::RepoType type, const store::RepoId& repo_id,
                     const store::CommitId& commit, const store::RepoPath& path);
// The folder holding every file of a commit, ending in '/'.
std::string files_prefix(store::RepoType type, const store::RepoId& repo_id,
                         const store::CommitId& commit);
std::string exchange_object_key(const std::string& exchange_key);
std::string ref_key(store::RepoType type, const store::RepoId& repo_id, const store::Revision& name);
inline constexpr std::string_view k_refs_prefix = "refs/";

// The key of an exchange or a Hub object without its credential scope: the bucket holds one
// answer for every reader (what the refresh job fetched with a token included).
std::string public_exchange_key(const std::string& key);

std::string encode_file(const store::HubObject& object);
// `key` gives the repo, commit and path (and the credential to file it under locally). A row
// is someone else's writing: Errc::corrupt unless every field validates (names.hpp).
util::Result<store::HubObject> decode_file(std::string_view json, const store::HubObjectKey& key);

std::string encode_exchange(const store::Exchange& exchange);  // the key without credential
util::Result<store::Exchange> decode_exchange(std::string_view json);

std::string encode_ref(const store::Ref& ref);
util::Result<store::Ref> decode_ref(std::string_view json, store::RepoType type,
                                    const store::RepoId& repo_id, const store::Revision& name);

// A ref key under refs/, split back: (type, repo, name). nullopt if it is not one, or if a
// part does not validate.
struct RefName {
  store::RepoType type;
  store::RepoId repo_id;
  store::Revision name;
};
std::optional<RefName> parse_ref_key(std::string_view key);

} // namespace remote
