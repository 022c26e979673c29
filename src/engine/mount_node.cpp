#include "engine/mount_node.hpp"

#include "cache/fetches.hpp"
#include "engine/notice.hpp"
#include "engine/remote_tier.hpp"
#include "mount/file_reads.hpp"
#include "mount/hf_cache_view.hpp"
#include "upstream/fetcher.hpp"
#include "util/metrics.hpp"
#include "util/stop_signal.hpp"

namespace engine {

util::Result<void> run_mount_node(const MountNodeOptions& options,
                                  const std::function<void(const std::string& what)>& mounted) {
  const auto notice = [](const std::string& line) { print_notice(line); };
  auto store = store::Store::open(options.store, options.remote.url.empty()
                                                     ? store::OpenMode::must_exist
                                                     : store::OpenMode::create_if_missing);
  if (!store) return tl::unexpected(store.error());
  if (options.max_size) {
    if (auto bounded = (*store)->set_bound(*options.max_size); !bounded) return bounded;
  }
  util::Metrics metrics;
  upstream::global_init();
  // Before the tier, which it outlives: an unmount ends the S3 client's waits between retries.
  util::StopSignal stop;
  auto remote = open_remote_tier(options.remote, metrics, notice, &stop);
  if (!remote) return tl::unexpected(remote.error());

  // Fills from the bucket go through the fetcher: retries, Range resume, a stall watchdog.
  std::unique_ptr<upstream::Fetcher> fetcher;
  std::unique_ptr<cache::Fetches> fetches;
  if (*remote) {
    upstream::FetcherOptions fetcher_options;
    fetcher_options.allow = {upstream::OriginPattern::exactly((*remote)->client().location().endpoint)};
    fetcher_options.ca_file = options.remote.ca_file;
    fetcher_options.retry.max_retries = 3;
    fetcher = std::make_unique<upstream::Fetcher>(
        fetcher_options, metrics, stop, [notice](const upstream::ThrottleEvent& t) {
          notice("remote tier: retrying " + t.url + " after " +
                 (t.error.empty() ? std::to_string(t.status.value_or(0)) : t.error));
        });
    fetches = std::make_unique<cache::Fetches>(**store, *fetcher, notice);
  }
  mount::HfCacheView view(**store, remote->get(), options.remote.ttl, notice);
  mount::FileReads reads(**store, remote->get(), fetches.get(), metrics, notice);
  (void)view.tree();  // the first listing before the mount answers

  const std::string what = (*remote ? (*remote)->describe() + " over " : std::string()) +
                           (*store)->layout().root().string();
  auto served = mount::run_fuse(options.mount, view, reads, [&] { mounted(what); }, notice);
  stop.request_stop();
  if (fetches) fetches->wait_idle();
  return served;
}

} // namespace engine
