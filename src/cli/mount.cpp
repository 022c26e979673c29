// `hubcache mount MOUNTPOINT`: a read-only FUSE view, in the Hugging Face cache layout, of
// the local store and the remote tier, so jobs run with HF_HUB_OFFLINE=1
// HF_HUB_CACHE=MOUNTPOINT and no server. Bytes are fetched on first read.
#include "cli/command.hpp"
#include "cli/remote_options.hpp"
#include "engine/listen.hpp"
#include "engine/mount_node.hpp"
#include "mount/mountpoint.hpp"

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
  std::string ready_file;
  std::string metrics_listen;
};

int run_mount(const GlobalOptions& global, const MountCliOptions& options) {
  engine::MountNodeOptions node;
  node.store = global.store;
  node.remote = options.remote.tier();
  node.max_size = options.max_size;
  node.mount.mountpoint = options.mountpoint;
  node.mount.allow_other = options.allow_other;
  node.ready_file = options.ready_file;
  if (!options.metrics_listen.empty()) node.metrics_listen = engine::parse_listen(options.metrics_listen);
  auto served = engine::run_mount_node(node, [&](const std::string& what) {
    std::printf("mounted %s at %s (read-only; unmount with fusermount3 -u, or SIGTERM)\n", what.c_str(),
                options.mountpoint.c_str());
    std::fflush(stdout);
  });
  return served ? k_exit_ok : report(served.error());
}

// A mount hides what its directory holds until it is unmounted: files a job or a person put
// there would vanish without a word, so a directory that is not empty is refused (issue 15).
// A stale mount (its daemon killed) passes: the mount replaces it (engine/mount_node.hpp).
std::string usable_mountpoint(const std::string& path) {
  auto state = mount::inspect_mountpoint(path);
  if (!state) return state.error().message;
  if (*state == mount::MountpointState::stale) return {};
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
  app->add_option("MOUNTPOINT", options->mountpoint,
                  "An empty directory (or the stale mount of a daemon that was killed, which is replaced)")
      ->required()
      ->check(usable_mountpoint);
  add_remote_options(*app, options->remote, "A hubcache bucket whose refs and files are shown, fetched on first read");
  add_size_option(*app, "--max-size", options->max_size,
                  "Bound the local store to SIZE: least recently used blobs make room");
  app->add_flag("--allow-other", options->allow_other, "Let other users read the mount");
  app->add_option("--ready-file", options->ready_file,
                  "Write PATH once the view is loaded and mounted, remove it on exit (a readiness probe)")
      ->check([](const std::string& path) {
        const auto parent = std::filesystem::path(path).parent_path();
        std::error_code ec;
        return parent.empty() || std::filesystem::is_directory(parent, ec)
                   ? std::string()
                   : "the folder of " + path + " does not exist";
      });
  app->add_option("--metrics-listen", options->metrics_listen,
                  "Serve /_hubcache/health, /_hubcache/metrics and /_hubcache/stats on HOST:PORT, as serve does")
      ->check([](const std::string& text) {
        return engine::parse_listen(text) ? std::string() : "expected HOST:PORT, got " + text;
      });
  app->footer(
      "Jobs read it with HF_HUB_OFFLINE=1 HF_HUB_CACHE=MOUNTPOINT (no server, no HF_ENDPOINT).\n"
      "Runs in the foreground; SIGINT/SIGTERM unmount it cleanly.");
  return {app, [&global, options] { return run_mount(global, *options); }};
}

} // namespace cli
