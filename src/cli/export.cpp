// `hubcache export --hf-cache OUTDIR`: the store's Hub files as a ready HF_HUB_CACHE.
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "hub/hf_cache_export.hpp"
#include "util/size.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct ExportCliOptions {
  std::string hf_cache;
  bool no_symlinks = false;
  std::vector<std::string> repos;
  bool json = false;
};

int run_export(const GlobalOptions& global, const ExportCliOptions& options) {
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
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
      ->type_name("OUTDIR")
      ->required();
  app->add_flag("--no-symlinks", options->no_symlinks,
                "Real files in snapshots/ instead of symlinks into blobs/ (for read-only mounts)");
  app->add_option("--repo", options->repos,
                  "Only this repo (org/name, or dataset:org/name); repeatable")
      ->type_name("ID");
  app->add_flag("--json", options->json, "Print JSON on stdout");
  return {app, [&global, options] { return run_export(global, *options); }};
}

} // namespace cli
