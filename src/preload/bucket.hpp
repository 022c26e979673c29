// The bucket a refresh job writes (`preload --publish`): opened for writing, and read as what
// the fleet has recorded (`preload --check --publish`).
#pragma once

#include "preload/drift.hpp"
#include "remote/remote_tier.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"

#include <memory>

namespace preload {

// Opens the bucket `options` names and asks it once: unlike a node's remote tier, a writer
// needs it now, so an unreachable bucket is an error too.
util::Result<std::unique_ptr<remote::RemoteTier>> open_publish_bucket(const remote::RemoteOptions& options,
                                                                      util::Metrics& metrics);

// A bucket's refs and files, for drift against what the fleet reads. `bucket` must outlive it.
class BucketRecorded final : public Recorded {
public:
  explicit BucketRecorded(remote::RemoteTier& bucket) : m_bucket(bucket) {}
  util::Result<std::optional<store::CommitId>> commit(const RepoEntry& repo) override;
  util::Result<std::vector<store::HubObject>> files(const RepoEntry& repo,
                                                    const store::CommitId& commit) override;

private:
  remote::RemoteTier& m_bucket;
};

} // namespace preload
