// `hubcache lock -o hubcache.lock`: what the store holds, or what a run used, as a
// reviewable lockfile (see hub/lockfile.hpp for the format).
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "hub/lockfile.hpp"
#include "util/file.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct LockCliOptions {
  std::string from_report;
  std::string output;
  bool json = false;
};

int run_lock(const GlobalOptions& global, const LockCliOptions& options) {
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
  util::Result<hub::Lockfile> lock = util::fail(util::Errc::invalid_argument, "");
  if (options.from_report.empty()) {
    lock = hub::lock_store(**store);
  } else {
    auto text = util::read_small_file(options.from_report);
    if (!text) return report(text.error());
    lock = hub::lock_report(**store, *text);
    if (!lock) {
      return report(util::with_context(lock.error(), options.from_report));
    }
  }
  if (!lock) return report(lock.error());
  const std::string text = lock->render();
  if (options.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else if (auto written = util::write_file_atomically(options.output, text); !written) {
    return report(written.error());
  }
  std::uint64_t bytes = 0;
  for (const auto& f : lock->files()) bytes += f.size;
  for (const auto& u : lock->urls()) bytes += u.size;
  if (options.json && options.output != "-") {
    print_json({{"lockfile", options.output},
                {"refs", lock->refs().size()},
                {"files", lock->files().size()},
                {"urls", lock->urls().size()},
                {"bytes", bytes}});
  } else if (options.output != "-") {
    std::printf("locked %zu refs, %zu files and %zu URLs in %s\n", lock->refs().size(),
                lock->files().size(), lock->urls().size(), options.output.c_str());
  }
  return k_exit_ok;
}

} // namespace

Command add_lock(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<LockCliOptions>();
  auto* app = parent.add_subcommand(
      "lock", "Write a sorted, reviewable lockfile of what the store holds or what a run used");
  add_store_option(*app, global);
  app->add_option("--from-report", options->from_report,
                  "Only what this `hubcache run --report` file says was served (from the store)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  app->add_option("-o,--output", options->output, "The lockfile to write; - for stdout")
      ->type_name("FILE")
      ->required();
  app->add_flag("--json", options->json, "Print a JSON summary on stdout");
  app->footer("Lines: 'ref TYPE REPO NAME COMMIT', 'file TYPE REPO COMMIT SHA256 SIZE PATH', "
              "'url SHA256 SIZE URL' (tab-separated, sorted). Use it with "
              "'hubcache preload --lock FILE' and 'hubcache run --mode replay --lock FILE'.");
  return {app, [&global, options] { return run_lock(global, *options); }};
}

} // namespace cli
