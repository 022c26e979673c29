#include "hub/file_content.hpp"

#include "hub/commit_listing.hpp"

namespace hub {

std::optional<store::HubObject> lfs_object(const FileTarget& target, const std::string& scope,
                                           const store::CommitId& commit, const store::Etag& sha256,
                                           std::uint64_t size) {
  const auto digest = util::Sha256::from_hex(sha256.str());
  if (!digest) return std::nullopt;
  return store::HubObject{{target.type, target.repo_id, commit, target.path, scope}, *digest, sha256,
                          size, true};
}

std::optional<store::HubObject> recorded_content(
    store::Store& store, const FileTarget& target, const std::string& scope,
    const store::CommitId& commit, const std::function<std::string(const std::string&)>& head_key) {
  for (const std::string& revision : {target.revision.str(), commit.str()}) {
    auto found = store.open_exchange(head_key(revision));
    if (!found || !*found || (*found)->entry.status != 200) continue;
    upstream::ResponseHead head;
    head.status = 200;
    head.headers = (*found)->entry.headers;
    const auto meta = file_meta(head);
    if (!meta || !meta->lfs || meta->commit != commit) continue;
    return lfs_object(target, scope, commit, meta->etag, meta->size);
  }
  auto listing = find_commit_listing(store, target.type, target.repo_id, commit, scope);
  if (!listing || !*listing) return std::nullopt;
  for (const auto& file : (*listing)->files) {
    if (file.path != target.path) continue;
    if (!file.details || !file.details->lfs_sha256) return std::nullopt;
    return lfs_object(target, scope, commit, *file.details->lfs_sha256, file.details->size);
  }
  return std::nullopt;
}

std::optional<FileMeta> announced_content(const upstream::Hop& hop) {
  if (!util::find_header(hop.headers, "X-Linked-Etag")) return std::nullopt;
  upstream::ResponseHead head;
  head.status = 200;
  head.redirects.push_back(hop);
  auto meta = file_meta(head);
  if (!meta || !meta->lfs || !util::Sha256::from_hex(meta->etag.str())) return std::nullopt;
  return meta;
}

std::optional<FileMeta> stopped_content(const upstream::ResponseHead& head) {
  if (!head.stopped_at) return std::nullopt;
  return announced_content(upstream::Hop{head.status, head.headers, head.url});
}

} // namespace hub
