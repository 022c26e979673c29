// The remote tier an engine (or a mount) reads, opened from its options.
#pragma once

#include "remote/remote_tier.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"
#include "util/stop_signal.hpp"

#include <functional>
#include <memory>
#include <string>

namespace engine {

// The remote tier for `options` (null when options.url is empty). The bucket is asked once:
// a refusal (wrong credentials, no such bucket) is an error; an unreachable bucket only a
// warning through `warn`, since it may come back and the local tier still serves. `warn` also
// gets the tier's notices (marked failed, answers again). `stop`: the process's stop signal,
// which ends the S3 client's waits between retries at once (null: none); it outlives the tier.
util::Result<std::unique_ptr<remote::RemoteTier>> open_remote_tier(
    const remote::RemoteOptions& options, util::Metrics& metrics,
    const std::function<void(const std::string&)>& warn, util::StopSignal* stop = nullptr);

} // namespace engine
