// `hubcache export --hf-cache OUTDIR`: the store's Hub files as a ready HF_HUB_CACHE.
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/remote_options.hpp"
#include "engine/remote_tier.hpp"
#include "remote/upload_tree.hpp"
#include "hub/hf_cache_export.hpp"
#include "util/size.hpp"

#include <cstdio>
#include <unistd.h>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct ExportCliOptions {
  std::string hf_cache;
  bool no_symlinks = false;
  std::vector<std::string> repos;
  bool json = false;
  RemoteCliOptions to;  // --to s3://BUCKET/PREFIX (in to.remote), --s3-endpoint, --s3-ca
  int jobs = 4;
};

// `--to s3://…`: the symlink-free cache, made beside the store (hard links, no copies), then
// uploaded; the temporary folder goes either way.
int export_to_bucket(store::Store& store, const ExportCliOptions& options) {
  util::Metrics metrics;
  auto bucket = engine::open_remote_tier(options.to.tier(), metrics, {});
  if (!bucket) return report(bucket.error());
  if (auto probe = (*bucket)->client().probe(); !probe) return report(probe.error());
  const auto staging = store.layout().tmp_dir() / ("export-" + std::to_string(::getpid()));
  std::error_code ec;
  std::filesystem::remove_all(staging, ec);
  struct Cleanup {
    std::filesystem::path path;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } cleanup{staging};
  hub::ExportOptions export_options;
  export_options.symlinks = false;
  export_options.repos = options.repos;
  auto totals = hub::export_hf_cache(store, staging, export_options, {});
  if (!totals) return report(totals.error());
  for (const auto& error : totals->errors) std::fprintf(stderr, "hubcache: error: %s\n", error.c_str());
  auto uploaded = remote::upload_tree(staging, (*bucket)->client(), options.jobs,
                                      [&options](const std::string& line) {
                                        if (!options.json) std::fprintf(stderr, "hubcache: %s\n", line.c_str());
                                      });
  if (!uploaded) return report(util::with_context(uploaded.error(), "export to " + (*bucket)->describe()));
  if (options.json) {
    print_json({{"to", (*bucket)->describe()},
                {"repos", totals->repos},
                {"revisions", totals->revisions},
                {"files", uploaded->files},
                {"uploaded", uploaded->uploaded},
                {"unchanged", uploaded->unchanged},
                {"bytes", uploaded->bytes},
                {"errors", totals->errors}});
  } else {
    std::printf("exported %llu repos, %llu revisions to %s: %llu objects uploaded (%s), %llu unchanged\n",
                static_cast<unsigned long long>(totals->repos),
                static_cast<unsigned long long>(totals->revisions), (*bucket)->describe().c_str(),
                static_cast<unsigned long long>(uploaded->uploaded), util::format_size(uploaded->bytes).c_str(),
                static_cast<unsigned long long>(uploaded->unchanged));
  }
  return totals->errors.empty() ? k_exit_ok : k_exit_failure;
}

int run_export(const GlobalOptions& global, const ExportCliOptions& options) {
  if (options.hf_cache.empty() == options.to.remote.empty()) {
    std::fprintf(stderr, "hubcache: error: give --hf-cache OUTDIR or --to s3://BUCKET/PREFIX (see 'hubcache export --help')\n");
    return k_exit_usage;
  }
  if (!options.to.remote.empty() && !options.no_symlinks) {
    std::fprintf(stderr, "hubcache: error: --to needs --no-symlinks: a bucket has no symlinks\n");
    return k_exit_usage;
  }
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
  if (!options.to.remote.empty()) return export_to_bucket(**store, options);
  hub::ExportOptions export_options;
  export_options.symlinks = !options.no_symlinks;
  export_options.repos = options.repos;
  auto totals = hub::export_hf_cache(**store, options.hf_cache, export_options,
                                     [&options](const std::string& line) {
                                       if (!options.json) std::printf("%s\n", line.c_str());
                                     });
  if (!totals) return report(totals.error());
  for (const auto& error : totals->errors) std::fprintf(stderr, "hubcache: error: %s\n", error.c_str());
  if (options.json) {
    print_json({{"hf_cache", options.hf_cache},
                {"symlinks", !options.no_symlinks},
                {"repos", totals->repos},
                {"revisions", totals->revisions},
                {"files", totals->files},
                {"bytes", totals->bytes},
                {"linked", totals->linked},
                {"copied", totals->copied},
                {"unchanged", totals->unchanged},
                {"refs", totals->refs},
                {"errors", totals->errors}});
  } else {
    std::printf("exported %llu repos, %llu revisions, %llu files (%s: %llu linked, %llu copied, "
                "%llu unchanged) to %s\n",
                static_cast<unsigned long long>(totals->repos),
                static_cast<unsigned long long>(totals->revisions),
                static_cast<unsigned long long>(totals->files),
                util::format_size(totals->bytes).c_str(),
                static_cast<unsigned long long>(totals->linked),
                static_cast<unsigned long long>(totals->copied),
                static_cast<unsigned long long>(totals->unchanged), options.hf_cache.c_str());
    if (totals->repos > 0) {
      std::printf("use it with: HF_HUB_OFFLINE=1 HF_HUB_CACHE=%s\n", options.hf_cache.c_str());
    }
  }
  return totals->errors.empty() ? k_exit_ok : k_exit_failure;
}

} // namespace

Command add_export(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<ExportCliOptions>();
  auto* app = parent.add_subcommand(
      "export", "Write the recorded Hub files as a Hugging Face cache (for HF_HUB_OFFLINE=1)");
  add_store_option(*app, global);
  app->add_option("--hf-cache", options->hf_cache, "The cache folder to create or merge into")
      ->type_name("OUTDIR");
  app->add_option("--to", options->to.remote,
                  "Or upload the cache (with --no-symlinks) to a bucket, for tools that read it "
                  "without hubcache")
      ->type_name("s3://BUCKET/PREFIX")
      ->check(check_s3_url);
  add_s3_endpoint_options(*app, options->to);
  app->add_option("--jobs,-j", options->jobs, "Uploads at once (--to)")->check(CLI::Range(1, 64));
  app->add_flag("--no-symlinks", options->no_symlinks,
                "Real files in snapshots/ instead of symlinks into blobs/ (for read-only mounts)");
  app->add_option("--repo", options->repos,
                  "Only this repo (org/name, or dataset:org/name); repeatable")
      ->type_name("ID");
  app->add_flag("--json", options->json, "Print JSON on stdout");
  return {app, [&global, options] { return run_export(global, *options); }};
}

} // namespace cli
