// What every subcommand file shares: the global options, exit codes, and how a subcommand
// registers itself. Domain code never sees CLI11 (STYLE.md); only src/cli does.
#pragma once

#include "engine/open_error.hpp"
#include "store/store.hpp"
#include "upstream/allow_list.hpp"
#include "util/result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cli {

// Exit codes: 0 fine, 1 a failure (or problems found), 2 a usage error.
enum ExitCode : int { k_exit_ok = 0, k_exit_failure = 1, k_exit_usage = 2 };

struct GlobalOptions {
  std::filesystem::path store; // --store / HUBCACHE_STORE
  // Whatever followed the first "--", verbatim: the command `run` starts. main.cpp takes
  // it off before CLI11 parses (which would read "[a,b]" as a list and split it).
  std::vector<std::string> command;
};

// A registered subcommand: its CLI11 node and what to run when it was chosen.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// One per subcommand file; each adds its flags to a new subcommand of `parent`.
Command add_ls(CLI::App& parent, GlobalOptions& global);
Command add_stats(CLI::App& parent, GlobalOptions& global);
Command add_verify(CLI::App& parent, GlobalOptions& global);
Command add_gc(CLI::App& parent, GlobalOptions& global);
Command add_serve(CLI::App& parent, GlobalOptions& global);
Command add_run(CLI::App& parent, GlobalOptions& global);
Command add_export(CLI::App& parent, GlobalOptions& global);
Command add_ca(CLI::App& parent, GlobalOptions& global);
Command add_env(CLI::App& parent, GlobalOptions& global);
Command add_preload(CLI::App& parent, GlobalOptions& global);
Command add_lock(CLI::App& parent, GlobalOptions& global);
Command add_bake(CLI::App& parent, GlobalOptions& global);
Command add_import(CLI::App& parent, GlobalOptions& global);
Command add_mount(CLI::App& parent, GlobalOptions& global);

// Adds `--store DIR` (env HUBCACHE_STORE). Both the top level and each subcommand take it,
// so it works before or after the subcommand and shows in every --help.
void add_store_option(CLI::App& app, GlobalOptions& global);

// Adds `--name SIZE` ("20G", "500M", "1.5Ti"); a bad size is a usage error naming the flag.
void add_size_option(CLI::App& app, const std::string& name, std::optional<std::uint64_t>& out,
                     const std::string& help, const std::string& env = {});

// Adds `--name DURATION` ("1s", "500ms", "2m").
void add_duration_option(CLI::App& app, const std::string& name, std::chrono::milliseconds& out,
                         const std::string& help);

// Adds `--allow-host PATTERN` (repeatable): each value parsed into `out` as it is read (see
// upstream::OriginPattern); a malformed one is a usage error quoting it.
void add_allow_host_option(CLI::App& app, upstream::AllowList& out, const std::string& help);

// The default store: $HUBCACHE_STORE, else $XDG_CACHE_HOME/hubcache, else ~/.cache/hubcache.
std::filesystem::path default_store_dir();

// Prints "hubcache: error: <message>" on stderr and returns k_exit_failure. Usage errors
// (exit 2) come only from parsing the command line, in main.cpp.
int report(const util::Error& error);
// Prints "hubcache: error: <message>" and returns k_exit_usage for a usage error (the
// engine's options were wrong), else k_exit_failure.
int report(const engine::OpenError& error);

// Opens the store named by the global options; it must exist.
util::Result<std::unique_ptr<store::Store>> open_existing_store(const GlobalOptions& global);

} // namespace cli
