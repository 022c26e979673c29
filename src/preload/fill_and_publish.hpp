// A refresh job: an engine of its own on a loopback port, a preload through it (so what is
// recorded is exactly what clients ask later), then, if every entry is complete, the store
// published to the fleet's bucket.
#pragma once

#include "engine/open_error.hpp"
#include "hub/lockfile.hpp"
#include "preload/manifest.hpp"
#include "preload/preload.hpp"
#include "remote/publish.hpp"
#include "remote/remote_tier.hpp"
#include "upstream/allow_list.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace preload {

struct JobOptions {
  std::filesystem::path store;  // created if missing
  std::string upstream = "https://huggingface.co";
  std::string upstream_ca;  // PEM; "" the system's CAs
  int retries = 5;
  // Where the upstream's redirects may lead, besides the manifest's (or lock's) own URLs'
  // origins, which are the operator's word and allowed exactly.
  upstream::AllowList allow_hosts;
  remote::RemoteOptions remote;   // a bucket to fill from before the upstream; url "": none
  remote::RemoteOptions publish;  // the bucket to publish to afterwards; url "": none
  int jobs = 4;                   // files fetched (and blobs uploaded) at once
  std::optional<std::string> token;  // HF_TOKEN, sent to the Hub
};

// What to fetch: manifest entries, or (when `lock` is set) exactly what a lockfile names.
struct JobInput {
  std::vector<Entry> entries;
  const hub::Lockfile* lock = nullptr;  // must outlive the call
  std::string lock_name;                // the lockfile's path, for messages
};

struct JobReport {
  std::vector<EntryOutcome> outcomes;  // see run_preload / run_locked_preload
  std::string bucket;  // the publish bucket (describe()); "" without one
  // Set when the store was published; an entry that failed means no publishing at all (the
  // bucket keeps its refs).
  std::optional<remote::PublishReport> published;
  std::optional<util::Error> publish_error;  // publishing failed (the bucket's refs are unchanged)

  bool any_failed() const;
};

// Runs the job; `observer` sees the preload's progress, `publish_progress` the publishing's
// lines. The publish bucket is opened (and asked) before anything is fetched. Errors that stop
// the job before it fetched: the engine's (usage or failure, see engine::Engine::open), the
// bucket, the store, the CA bundle (all failures).
tl::expected<JobReport, engine::OpenError> fill_and_publish(
    const JobOptions& options, const JobInput& input, Observer& observer,
    const std::function<void(const std::string&)>& publish_progress);

} // namespace preload
