// `hubcache import FILE.tar.zst`: merges a baked archive into a store, every blob verified.
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "store/bake.hpp"
#include "util/size.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct ImportCliOptions {
  std::string archive;
  bool json = false;
};

int run_import(const GlobalOptions& global, const ImportCliOptions& options) {
  auto store = store::Store::open(global.store, store::OpenMode::create_if_missing);
  if (!store) return report(store.error());
  auto totals = store::import_bake(**store, options.archive);
  if (!totals) return report(totals.error());
  for (const auto& error : totals->errors) std::fprintf(stderr, "hubcache: error: %s\n", error.c_str());
  if (options.json) {
    print_json({{"archive", options.archive},
                {"blobs", totals->blobs},
                {"blob_bytes", totals->blob_bytes},
                {"hub_objects", totals->hub_objects},
                {"refs", totals->refs},
                {"exchanges", totals->exchanges},
                {"errors", totals->errors}});
  } else {
    std::printf("imported %llu hub files, %llu refs, %llu recorded answers (%llu blobs verified, "
                "%s) from %s\n",
                static_cast<unsigned long long>(totals->hub_objects),
                static_cast<unsigned long long>(totals->refs),
                static_cast<unsigned long long>(totals->exchanges),
                static_cast<unsigned long long>(totals->blobs),
                util::format_size(totals->blob_bytes).c_str(), options.archive.c_str());
  }
  return totals->errors.empty() ? k_exit_ok : k_exit_failure;
}

} // namespace

Command add_import(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<ImportCliOptions>();
  auto* app = parent.add_subcommand(
      "import", "Merge a baked archive into the store, verifying every blob's sha256");
  add_store_option(*app, global);
  app->add_option("FILE", options->archive, "An archive written by 'hubcache bake'")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_flag("--json", options->json, "Print JSON on stdout");
  app->footer("A blob that does not hash to its name is refused, and the entries naming it are "
              "left out (exit 1). The archive's refs replace the store's for the same names. "
              "Importing twice changes nothing the second time.");
  return {app, [&global, options] { return run_import(global, *options); }};
}

} // namespace cli
