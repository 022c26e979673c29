#include "engine/mount_node.hpp"

#include "cache/fetches.hpp"
#include "engine/admin_listener.hpp"
#include "engine/gauges.hpp"
#include "engine/notice.hpp"
#include "engine/remote_tier.hpp"
#include "mount/file_reads.hpp"
#include "mount/hf_cache_view.hpp"
#include "mount/mountpoint.hpp"
#include "upstream/fetcher.hpp"
#include "util/metrics.hpp"
#include "util/stop_signal.hpp"

#include <fstream>

namespace engine {
namespace {

using Notice = std::function<void(const std::string&)>;

// The mountpoint as a restarted daemon finds it: a stale mount of its predecessor is
// detached; what it uncovers must be empty (cli/mount.cpp checks a live directory at parse).
util::Result<void> prepare_mountpoint(const std::filesystem::path& mountpoint, const Notice& notice) {
  auto state = mount::inspect_mountpoint(mountpoint);
  if (!state) return tl::unexpected(state.error());
  if (*state == mount::MountpointState::stale) {
    if (auto detached = mount::detach_stale_mount(mountpoint); !detached) return detached;
    notice("replaced the stale mount at " + mountpoint.string() + " (its daemon had gone)");
    std::error_code ec;
    if (!std::filesystem::is_empty(mountpoint, ec) || ec) {
      return util::fail(util::Errc::invalid_argument,
                        mountpoint.string() + " is not empty under its stale mount (a mount would hide its files)");
    }
  }
  return {};
}

// Written beside its final name and renamed, so a probe never reads half a file.
util::Result<void> write_ready_file(const std::filesystem::path& path, const std::string& what) {
  const auto partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << "mounted " << what << "\n";
    if (!out.flush()) return util::fail(util::Errc::io, "cannot write --ready-file " + path.string());
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) return util::fail(util::Errc::io, "cannot write --ready-file " + path.string() + ": " + ec.message());
  return {};
}

} // namespace

util::Result<void> run_mount_node(const MountNodeOptions& options,
                                  const std::function<void(const std::string& what)>& mounted) {
  const Notice notice = [](const std::string& line) { print_notice(line); };
  if (auto device = mount::check_fuse_device(); !device) return device;
  if (!options.ready_file.empty()) {
    std::error_code ec;
    std::filesystem::remove(options.ready_file, ec);  // a killed predecessor's
  }
  if (auto prepared = prepare_mountpoint(options.mount.mountpoint, notice); !prepared) return prepared;
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
  std::unique_ptr<AdminListener> admin;
  if (options.metrics_listen) {
    add_store_gauges(metrics, **store);
    if (fetches) add_fetch_gauges(metrics, *fetches);
    const Identity identity{"mount", *remote ? (*remote)->describe() : std::string(),
                            (*store)->layout().root().string()};
    auto started = AdminListener::start(*options.metrics_listen, metrics, identity, notice);
    if (!started) return tl::unexpected(started.error());
    admin = std::move(*started);
  }
  util::Result<void> ready_written;
  auto served = mount::run_fuse(
      options.mount, view, reads,
      [&] {
        if (!options.ready_file.empty()) ready_written = write_ready_file(options.ready_file, what);
        mounted(what);
      },
      notice);
  if (!options.ready_file.empty()) {
    std::error_code ec;
    std::filesystem::remove(options.ready_file, ec);
  }
  admin.reset();
  stop.request_stop();
  if (fetches) fetches->wait_idle();
  if (!ready_written) return ready_written;
  return served;
}

} // namespace engine
