// `hubcache bake -o FILE.tar.zst`: the store (or some repos of it) as a reproducible archive
// that, extracted, is a store: a Docker layer, or a CI cache entry.
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "store/bake.hpp"
#include "util/progress.hpp"
#include "util/size.hpp"

#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct BakeCliOptions {
  std::string output;
  std::vector<std::string> repos;
  bool dockerfile = false;
  bool json = false;
};

std::string dockerfile_lines(const std::string& archive) {
  const std::string name = std::filesystem::path(archive).filename().string();
  return "# syntax=docker/dockerfile:1.27\n"
         "# The baked store as a layer (BuildKit's dockerfile 1.27+ extracts .tar.zst in ADD;\n"
         "# the same bytes give the same layer digest). Older builders: see the README.\n"
         "ADD " + name + " /opt/hubcache/store/\n"
         "ENV HUBCACHE_STORE=/opt/hubcache/store\n";
}

int run_bake(const GlobalOptions& global, const BakeCliOptions& options) {
  store::BakeOptions bake_options;
  for (const auto& wanted : options.repos) {
    auto repo = store::parse_repo_spec(wanted);
    if (!repo) {
      std::fprintf(stderr, "hubcache: error: --repo '%s' is not org/name or dataset:org/name "
                           "(see 'hubcache bake --help')\n", util::printable(wanted).c_str());
      return k_exit_usage;
    }
    bake_options.repos.push_back(std::move(*repo));
  }
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
    char* end = nullptr;
    const long long value = std::strtoll(epoch, &end, 10);
    if (*end != '\0' || value < 0) {
      std::fprintf(stderr, "hubcache: error: SOURCE_DATE_EPOCH='%s' is not seconds since 1970\n",
                   epoch);
      return k_exit_usage;
    }
    bake_options.mtime = value;
  }
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
  util::Progress progress("bake", stderr,
                          options.json ? util::Progress::Style::none
                                       : (::isatty(::fileno(stderr)) ? util::Progress::Style::bar
                                                                     : util::Progress::Style::lines));
  bool started = false;
  std::uint64_t last = 0;
  auto totals = store::bake(**store, options.output, bake_options,
                            [&](std::uint64_t total, std::uint64_t done) {
                              if (!started) {
                                progress.start(total);
                                started = true;
                              }
                              progress.advance(done - last);
                              last = done;
                            });
  progress.finish();
  if (!totals) return report(totals.error());
  if (options.json) {
    print_json({{"archive", options.output},
                {"archive_bytes", totals->archive_bytes},
                {"archive_sha256", totals->archive_sha256.hex()},
                {"hub_objects", totals->hub_objects},
                {"refs", totals->refs},
                {"exchanges", totals->exchanges},
                {"blobs", totals->blobs},
                {"blob_bytes", totals->blob_bytes},
                {"private_skipped", totals->private_skipped}});
    return k_exit_ok;
  }
  std::fprintf(stderr,
               "baked %llu hub files, %llu refs, %llu recorded answers (%llu blobs, %s) into %s: "
               "%s, sha256 %s\n",
               static_cast<unsigned long long>(totals->hub_objects),
               static_cast<unsigned long long>(totals->refs),
               static_cast<unsigned long long>(totals->exchanges),
               static_cast<unsigned long long>(totals->blobs),
               util::format_size(totals->blob_bytes).c_str(), options.output.c_str(),
               util::format_size(totals->archive_bytes).c_str(),
               totals->archive_sha256.hex().c_str());
  if (totals->private_skipped) {
    std::fprintf(stderr, "hubcache: %llu entries recorded with a token were left out (a baked "
                         "store is shared)\n",
                 static_cast<unsigned long long>(totals->private_skipped));
  }
  if (options.dockerfile) std::printf("%s", dockerfile_lines(options.output).c_str());
  return k_exit_ok;
}

} // namespace

Command add_bake(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<BakeCliOptions>();
  auto* app = parent.add_subcommand(
      "bake", "Write the store as a reproducible .tar.zst (a Docker layer, a CI cache entry)");
  add_store_option(*app, global);
  app->add_option("-o,--output", options->output, "The archive to write")
      ->type_name("FILE.tar.zst")
      ->required();
  app->add_option("--repo", options->repos,
                  "Only this repo (org/name, or dataset:org/name) and no URLs; repeatable")
      ->type_name("ID");
  app->add_flag("--dockerfile", options->dockerfile,
                "Also print the Dockerfile lines that add the archive as a layer");
  app->add_flag("--json", options->json, "Print JSON on stdout");
  app->footer("The archive, extracted, is a store (index.db, blobs/sha256/...). The same content "
              "gives the same bytes: sorted entries, mtime SOURCE_DATE_EPOCH (or 0), owner 0:0, "
              "modes 0644/0755. Content recorded with a token is left out. "
              "'hubcache import FILE' merges one into a store.");
  return {app, [&global, options] { return run_bake(global, *options); }};
}

} // namespace cli
