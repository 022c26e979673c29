// `hubcache mount MOUNTPOINT`: a read-only FUSE view, in the Hugging Face cache layout, of
// the local store and the remote tier, so jobs run with HF_HUB_OFFLINE=1
// HF_HUB_CACHE=MOUNTPOINT and no server. Bytes are fetched on first read.
#include "cli/command.hpp"
#include "cli/remote_options.hpp"
#include "mount/file_reads.hpp"
#include "mount/fuse_mount.hpp"
#include "mount/hf_cache_view.hpp"
#include "upstream/fetcher.hpp"
#include "util/metrics.hpp"
#include "util/stop_signal.hpp"
#include "util/utf8.hpp"

#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

namespace cli {
namespace {

struct MountCliOptions {
  std::string mountpoint;
  RemoteCliOptions remote;
  std::optional<std::uint64_t> max_size;
  bool allow_other = false;
};

void notice(const std::string& line) {
  std::fprintf(stderr, "hubcache: %s\n", util::printable(line, std::string_view::npos).c_str());
  std::fflush(stderr);
}

int run_mount(const GlobalOptions& global, const MountCliOptions& options) {
  // A node's local tier starts empty; without a bucket there is nothing to show but a store.
  auto store = options.remote.remote.empty()
                   ? open_existing_store(global)
                   : store::Store::open(global.store, store::OpenMode::create_if_missing);
  if (!store) return report(store.error());
  if (options.max_size) {
    if (auto bounded = (*store)->set_bound(*options.max_size); !bounded) return report(bounded.error());
  }
  util::Metrics metrics;
  upstream::global_init();
  auto remote = open_remote_tier(options.remote, metrics, notice);
  if (!remote) return report(remote.error());

  // Fills from the bucket go through the fetcher: retries, Range resume, a stall watchdog.
  util::StopSignal stop;
  std::unique_ptr<upstream::Fetcher> fetcher;
  std::unique_ptr<cache::Fetches> fetches;
  if (*remote) {
    upstream::FetcherOptions fetcher_options;
    fetcher_options.allow = {
        upstream::OriginPattern::exactly((*remote)->client().location().endpoint)};
    fetcher_options.ca_file = options.remote.s3_ca;
    fetcher_options.retry.max_retries = 3;
    fetcher = std::make_unique<upstream::Fetcher>(fetcher_options, metrics, stop, [](const upstream::ThrottleEvent& t) {
      notice("remote tier: retrying " + t.url + " after " + (t.error.empty() ? std::to_string(t.status.value_or(0)) : t.error));
    });
    fetches = std::make_unique<cache::Fetches>(**store, *fetcher, notice);
  }
  mount::HfCacheView view(**store, remote->get(), options.remote.ttl, notice);
  mount::FileReads reads(**store, remote->get(), fetches.get(), metrics, notice);
  (void)view.tree();  // the first listing before the mount answers

  mount::MountOptions mount_options;
  mount_options.mountpoint = options.mountpoint;
  mount_options.allow_other = options.allow_other;
  auto served = mount::run_fuse(
      mount_options, view, reads,
      [&] {
        std::printf("mounted %s at %s (read-only; unmount with fusermount3 -u, or SIGTERM)\n",
                    (*remote ? (*remote)->describe() + " over " : std::string()).append((*store)->layout().root().string()).c_str(),
                    options.mountpoint.c_str());
        std::fflush(stdout);
      },
      notice);
  stop.request_stop();
  if (fetches) fetches->wait_idle();
  if (!served) return report(served.error());
  return k_exit_ok;
}

// A mount hides what its directory holds until it is unmounted: files a job or a person put
// there would vanish without a word, so a directory that is not empty is refused (issue 15).
std::string empty_directory(const std::string& path) {
  std::error_code ec;
  const bool empty = std::filesystem::is_empty(path, ec);
  if (ec) return "cannot read " + path + ": " + ec.message();
  return empty ? std::string()
               : path + " is not empty (a mount would hide its files); give an empty directory";
}

} // namespace

Command add_mount(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<MountCliOptions>();
  auto* app = parent.add_subcommand(
      "mount", "A read-only FUSE view of the store (and a bucket) in the Hugging Face cache layout");
  add_store_option(*app, global);
  app->add_option("MOUNTPOINT", options->mountpoint, "An empty directory")
      ->required()
      ->check(CLI::ExistingDirectory)
      ->check(empty_directory);
  add_remote_options(*app, options->remote, "A hubcache bucket whose refs and files are shown, fetched on first read");
  add_size_option(*app, "--max-size", options->max_size,
                  "Bound the local store to SIZE: least recently used blobs make room");
  app->add_flag("--allow-other", options->allow_other, "Let other users read the mount");
  app->footer(
      "Jobs read it with HF_HUB_OFFLINE=1 HF_HUB_CACHE=MOUNTPOINT (no server, no HF_ENDPOINT).\n"
      "Runs in the foreground; SIGINT/SIGTERM unmount it cleanly.");
  return {app, [&global, options] { return run_mount(global, *options); }};
}

} // namespace cli
