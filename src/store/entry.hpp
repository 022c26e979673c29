// The entries of the index: the two kinds of knowledge in DESIGN.md (hub objects and refs,
// recorded exchanges), each naming its body by blob digest. Plain values.
#pragma once

#include "store/names.hpp"
#include "util/clock.hpp"
#include "util/headers.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace store {

enum class RepoType { model, dataset, space };

std::string_view to_string(RepoType type); // "model", "dataset", "space"
std::optional<RepoType> parse_repo_type(std::string_view text);

// The folder name of a repo in the HF cache (huggingface_hub's repo_folder_name):
// "models--org--name", "datasets--squad".
std::string repo_folder(RepoType type, const RepoId& repo_id);
// The inverse; nullopt for a name that is not one (or names no valid repo id).
std::optional<std::pair<RepoType, RepoId>> parse_repo_folder(std::string_view folder);

// A repo as a flag or manifest names it: "org/name" (a model) or "TYPE:org/name"
// ("dataset:org/name"); nullopt when malformed.
std::optional<std::pair<RepoType, RepoId>> parse_repo_spec(std::string_view text);

// A file of a repository at a commit: (repo type, repo id, commit, path). The names are
// validated values (names.hpp): whatever built the key, none of them can leave a folder.
struct HubObjectKey {
  RepoType repo_type = RepoType::model;
  RepoId repo_id;  // "org/name" or a legacy "gpt2"
  CommitId commit;
  RepoPath path;   // in the repository, decoded, "/"-separated
  std::string credential = {}; // the salted scope of the credential it was fetched with; "" for none

  friend bool operator==(const HubObjectKey&, const HubObjectKey&) = default;
};

struct HubObject {
  HubObjectKey key;
  util::Sha256 blob;
  Etag etag;              // as the Hub names it: git blob sha1, or the LFS sha256
  std::uint64_t size = 0; // the blob's size
  bool lfs = false;
  util::UnixMillis stored_at = 0;
  util::UnixMillis last_access = 0;
};

// A branch or tag resolved to a commit, as last learned.
struct Ref {
  RepoType repo_type = RepoType::model;
  RepoId repo_id;
  Revision name;  // "main", "v1.0", "refs/pr/3"
  CommitId commit;
  util::UnixMillis learned_at = 0;
  std::string credential = {}; // as for HubObjectKey
};

// Whether a lookup needs the same credential scope, or takes any (--share-private).
enum class CredentialMatch { exact, any };

using Headers = util::Headers;

// A response recorded literally, found by its canonical request key.
struct Exchange {
  std::string key; // canonical request: what varies without changing content is dropped
  std::string method;
  std::string url;
  int status = 0;
  Headers headers;                  // as the upstream sent them, minus hop-by-hop and credentials
  std::optional<util::Sha256> blob; // std::nullopt: no body (HEAD, 304)
  std::uint64_t body_size = 0;
  util::UnixMillis stored_at = 0;
  util::UnixMillis last_access = 0;
};

} // namespace store
