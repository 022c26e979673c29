#include "engine/remote_tier.hpp"

namespace engine {

util::Result<std::unique_ptr<remote::RemoteTier>> open_remote_tier(
    const remote::RemoteOptions& options, util::Metrics& metrics,
    const std::function<void(const std::string&)>& warn, util::StopSignal* stop) {
  if (options.url.empty()) return std::unique_ptr<remote::RemoteTier>();
  remote::S3Options s3;
  s3.stop = stop;
  auto client = remote::open_s3(options, s3);
  if (!client) return tl::unexpected(util::with_context(client.error(), "--remote"));
  auto probe = (*client)->probe();
  if (!probe) {
    if (probe.error().code != util::Errc::upstream_unreachable && probe.error().code != util::Errc::timeout) {
      return tl::unexpected(probe.error());
    }
    if (warn) warn("the remote tier is unreachable for now, serving the local tier: " + probe.error().message);
  }
  return std::make_unique<remote::RemoteTier>(std::move(*client), options, metrics, warn);
}

} // namespace engine
