// A repository's files at a commit, as the Hub's recursive tree listing names them (all
// pages), asked the way huggingface_hub asks, so that the recorded listing is the one
// snapshot_download asks for in replay.
#pragma once

#include "preload/engine_client.hpp"
#include "preload/manifest.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace preload {

struct Listed {
  store::RepoPath path;
  std::uint64_t size = 0;
  std::optional<util::Sha256> lfs_sha256;
  std::string oid;  // the git blob id
};

// `client` is an engine (recording the listing) or the Hub itself (--check). The listing is
// the upstream's word: Errc::upstream_status when it is not JSON or names a path that is not
// one (store/names.hpp), which no Hub lists.
util::Result<std::vector<Listed>> list_tree(const EngineClient& client, const RepoEntry& repo,
                                            const store::CommitId& commit);

} // namespace preload
