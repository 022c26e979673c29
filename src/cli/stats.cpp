// `hubcache stats`: how big the store is and what it holds.
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "util/file.hpp"
#include "util/size.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct StatsOptions {
  bool json = false;
};

nlohmann::json time_json(const std::optional<std::int64_t>& time) {
  return time ? nlohmann::json(util::format_iso8601(*time)) : nlohmann::json(nullptr);
}

int run_stats(const GlobalOptions& global, const StatsOptions& options) {
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
  auto counts = (*store)->index().counts();
  if (!counts) return report(counts.error());
  const auto& layout = (*store)->layout();
  auto tmp = util::dir_usage(layout.tmp_dir());
  if (!tmp) return report(tmp.error());
  auto quarantined = util::dir_usage(layout.quarantine_dir());
  if (!quarantined) return report(quarantined.error());

  if (options.json) {
    print_json({{"store", layout.root().string()},
                {"schema_version", store::Index::k_schema_version},
                {"blobs", counts->blobs},
                {"blob_bytes", counts->blob_bytes},
                {"hub_objects", counts->hub_objects},
                {"refs", counts->refs},
                {"exchanges", counts->exchanges},
                {"oldest_access", time_json(counts->oldest_access)},
                {"newest_access", time_json(counts->newest_access)},
                {"tmp_files", tmp->files},
                {"tmp_bytes", tmp->bytes},
                {"quarantined_files", quarantined->files},
                {"quarantined_bytes", quarantined->bytes}});
    return k_exit_ok;
  }
  std::printf("store         %s (schema v%d)\n", layout.root().c_str(),
              store::Index::k_schema_version);
  std::printf("blobs         %llu (%s)\n", static_cast<unsigned long long>(counts->blobs),
              util::format_size(counts->blob_bytes).c_str());
  std::printf("hub objects   %llu\n", static_cast<unsigned long long>(counts->hub_objects));
  std::printf("refs          %llu\n", static_cast<unsigned long long>(counts->refs));
  std::printf("exchanges     %llu\n", static_cast<unsigned long long>(counts->exchanges));
  std::printf("oldest use    %s\n", time_or_dash(counts->oldest_access).c_str());
  std::printf("newest use    %s\n", time_or_dash(counts->newest_access).c_str());
  std::printf("temp files    %llu (%s)\n", static_cast<unsigned long long>(tmp->files),
              util::format_size(tmp->bytes).c_str());
  std::printf("quarantined   %llu (%s)\n", static_cast<unsigned long long>(quarantined->files),
              util::format_size(quarantined->bytes).c_str());
  return k_exit_ok;
}

} // namespace

Command add_stats(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<StatsOptions>();
  auto* app = parent.add_subcommand("stats", "Show the store's size and what it holds");
  add_store_option(*app, global);
  app->add_flag("--json", options->json, "Print JSON on stdout");
  return {app, [&global, options] { return run_stats(global, *options); }};
}

} // namespace cli
