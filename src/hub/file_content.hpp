// An LFS file's content named before its bytes, so that every name of those bytes (another
// revision, another repo, the proxy or the mirror) shares one fetch of them
// (cache/content_fill.hpp): by what the store recorded of the file (a HEAD's answer, the
// commit's complete listing), or by the Hub's redirect to its CDN while a fetch is under way.
#pragma once

#include "hub/file_meta.hpp"
#include "hub/target.hpp"
#include "store/store.hpp"
#include "upstream/fetcher.hpp"

#include <functional>
#include <optional>
#include <string>

namespace hub {

// The LFS file `target` names at `commit`, its content `sha256` (an etag the Hub gave) of
// `size` bytes; std::nullopt if the etag is not a sha256.
std::optional<store::HubObject> lfs_object(const FileTarget& target, const std::string& scope,
                                           const store::CommitId& commit, const store::Etag& sha256,
                                           std::uint64_t size);

// The file `target` names at `commit`, when the store knows its LFS content: a recorded
// HEAD's answer at the revision or the commit (found under `head_key(revision)`), which must
// name this commit, else the commit's complete listing for `scope`.
std::optional<store::HubObject> recorded_content(
    store::Store& store, const FileTarget& target, const std::string& scope,
    const store::CommitId& commit, const std::function<std::string(const std::string&)>& head_key);

// The LFS content a redirect names: the Hub's 302 to its CDN carries X-Linked-Etag (the
// sha256), X-Linked-Size and X-Repo-Commit. std::nullopt for any other hop.
std::optional<FileMeta> announced_content(const upstream::Hop& hop);

// The LFS content of an answer that is the Hub's redirect, where the fetch stopped because
// FetchRequest::follow_redirect said so (ResponseHead::stopped_at): std::nullopt otherwise.
std::optional<FileMeta> stopped_content(const upstream::ResponseHead& head);

} // namespace hub
