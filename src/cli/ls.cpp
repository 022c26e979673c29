// `hubcache ls`: what the store holds, entry by entry.
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "util/clock.hpp"
#include "util/size.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct LsOptions {
  bool json = false;
};

nlohmann::json to_json(const store::HubObject& o) {
  return {{"repo_type", store::to_string(o.key.repo_type)},
          {"repo_id", o.key.repo_id},
          {"commit", o.key.commit},
          {"path", o.key.path},
          {"blob", o.blob.hex()},
          {"etag", o.etag},
          {"size", o.size},
          {"lfs", o.lfs},
          {"stored_at", util::format_iso8601(o.stored_at)},
          {"last_access", util::format_iso8601(o.last_access)}};
}

nlohmann::json to_json(const store::Ref& r) {
  return {{"repo_type", store::to_string(r.repo_type)},
          {"repo_id", r.repo_id},
          {"ref", r.name},
          {"commit", r.commit},
          {"learned_at", util::format_iso8601(r.learned_at)}};
}

nlohmann::json to_json(const store::Exchange& e) {
  return {{"method", e.method},
          {"url", e.url},
          {"status", e.status},
          {"blob", e.blob ? nlohmann::json(e.blob->hex()) : nlohmann::json(nullptr)},
          {"size", e.body_size},
          {"key", e.key},
          {"stored_at", util::format_iso8601(e.stored_at)},
          {"last_access", util::format_iso8601(e.last_access)}};
}

void print_row(const char* kind, const std::string& size, const std::string& when,
               const std::string& name) {
  std::printf("%-9s %9s  %-20s  %s\n", kind, size.c_str(), when.c_str(), name.c_str());
}

int run_ls(const GlobalOptions& global, const LsOptions& options) {
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
  auto& index = (*store)->index();
  // Rows that do not validate are named on stderr and left out; `verify` says more.
  const auto damaged = [](const util::Error& error) {
    std::fprintf(stderr, "hubcache: warning: skipped %s\n", error.message.c_str());
  };

  if (options.json) {
    nlohmann::json out = {{"hub_objects", nlohmann::json::array()},
                          {"refs", nlohmann::json::array()},
                          {"exchanges", nlohmann::json::array()}};
    auto r = index.for_each_hub_object(
        [&](const store::HubObject& o) { out["hub_objects"].push_back(to_json(o)); }, damaged);
    if (r) {
      r = index.for_each_ref([&](const store::Ref& ref) { out["refs"].push_back(to_json(ref)); },
                             damaged);
    }
    if (r) {
      r = index.for_each_exchange(
          [&](const store::Exchange& e) { out["exchanges"].push_back(to_json(e)); }, damaged);
    }
    if (!r) return report(r.error());
    print_json(out);
    return k_exit_ok;
  }

  std::uint64_t rows = 0;
  print_row("KIND", "SIZE", "LAST USED", "NAME");
  auto r = index.for_each_hub_object(
      [&](const store::HubObject& o) {
        ++rows;
        print_row("hub", util::format_size(o.size), util::format_iso8601(o.last_access),
                  std::string(store::to_string(o.key.repo_type)) + " " + o.key.repo_id.str() + "@" +
                      o.key.commit.str().substr(0, 12) + " " + o.key.path.str() +
                      (o.lfs ? " (lfs)" : ""));
      },
      damaged);
  if (r) {
    r = index.for_each_ref(
        [&](const store::Ref& ref) {
          ++rows;
          print_row("ref", "-", util::format_iso8601(ref.learned_at),
                    std::string(store::to_string(ref.repo_type)) + " " + ref.repo_id.str() + " " +
                        ref.name.str() + " -> " + ref.commit.str());
        },
        damaged);
  }
  if (r) {
    r = index.for_each_exchange(
        [&](const store::Exchange& e) {
          ++rows;
          // A URL is the upstream's or a client's text: shown with control characters escaped.
          print_row("exchange", e.blob ? util::format_size(e.body_size) : "-",
                    util::format_iso8601(e.last_access),
                    e.method + " " + util::printable(e.url) + " (" + std::to_string(e.status) + ")");
        },
        damaged);
  }
  if (!r) return report(r.error());
  if (rows == 0) std::fprintf(stderr, "store %s holds nothing yet\n", global.store.c_str());
  return k_exit_ok;
}

} // namespace

Command add_ls(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<LsOptions>();
  auto* app =
      parent.add_subcommand("ls", "List what the store holds: hub objects, refs, exchanges");
  add_store_option(*app, global);
  app->add_flag("--json", options->json, "Print JSON on stdout");
  return {app, [&global, options] { return run_ls(global, *options); }};
}

} // namespace cli
