// `hubcache verify`: re-hash every blob; quarantine bad ones. Exit 1 when anything was wrong.
#include "store/verify.hpp"

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "util/progress.hpp"
#include "util/size.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct VerifyOptions {
  bool json = false;
};

int run_verify(const GlobalOptions& global, const VerifyOptions& options) {
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
  util::Progress progress("verify");
  auto result = store::verify(**store, {[&](std::uint64_t total) { progress.start(total); },
                                        [&](std::uint64_t bytes) { progress.advance(bytes); }});
  progress.finish();
  if (!result) return report(result.error());

  if (options.json) {
    auto problems = nlohmann::json::array();
    for (const auto& p : result->problems) {
      problems.push_back(
          {{"kind", store::to_string(p.kind)},
           {"path", p.path},
           {"detail", p.detail},
           {"entries_removed", p.entries_removed},
           {"quarantined_to", p.quarantined_to.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(p.quarantined_to)}});
    }
    print_json({{"blobs_checked", result->blobs_checked},
                {"bytes_checked", result->bytes_checked},
                {"orphan_files", result->orphan_files},
                {"problems", problems}});
  } else {
    for (const auto& p : result->problems) {
      std::printf("%-8s %s: %s", std::string(store::to_string(p.kind)).c_str(), p.path.c_str(),
                  p.detail.c_str());
      if (p.entries_removed > 0) {
        std::printf("; %llu entries removed", static_cast<unsigned long long>(p.entries_removed));
      }
      if (!p.quarantined_to.empty()) std::printf("; moved to %s", p.quarantined_to.c_str());
      std::printf("\n");
    }
    std::printf("checked %llu blobs (%s): %zu problem%s",
                static_cast<unsigned long long>(result->blobs_checked),
                util::format_size(result->bytes_checked).c_str(), result->problems.size(),
                result->problems.size() == 1 ? "" : "s");
    if (result->orphan_files > 0) {
      std::printf("; %llu unindexed blob files (run 'hubcache gc')",
                  static_cast<unsigned long long>(result->orphan_files));
    }
    std::printf("\n");
  }
  return result->problems.empty() ? k_exit_ok : k_exit_failure;
}

} // namespace

Command add_verify(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<VerifyOptions>();
  auto* app = parent.add_subcommand(
      "verify", "Re-hash every blob; quarantine bad ones and drop the entries naming them "
                "(exit 1 if any)");
  add_store_option(*app, global);
  app->add_flag("--json", options->json, "Print JSON on stdout");
  return {app, [&global, options] { return run_verify(global, *options); }};
}

} // namespace cli
