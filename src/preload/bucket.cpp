#include "preload/bucket.hpp"

#include "engine/remote_tier.hpp"

namespace preload {

util::Result<std::unique_ptr<remote::RemoteTier>> open_publish_bucket(const remote::RemoteOptions& options,
                                                                      util::Metrics& metrics) {
  auto tier = engine::open_remote_tier(options, metrics, {});
  if (!tier) return tier;
  if (auto probe = (*tier)->client().probe(); !probe) return tl::unexpected(probe.error());
  return tier;
}

util::Result<std::optional<store::CommitId>> BucketRecorded::commit(const RepoEntry& repo) {
  auto ref = m_bucket.find_ref(repo.type, repo.repo_id, repo.revision);
  if (!ref) return tl::unexpected(ref.error());
  if (!*ref) return std::nullopt;
  return (*ref)->commit;
}

util::Result<std::vector<store::HubObject>> BucketRecorded::files(const RepoEntry& repo,
                                                                  const store::CommitId& commit) {
  return m_bucket.files_at(repo.type, repo.repo_id, commit);
}

} // namespace preload
