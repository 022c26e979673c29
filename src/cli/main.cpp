// hubcache's entry point: builds the CLI, runs the chosen subcommand, and is the one place
// that turns exceptions and parse errors into an exit code (STYLE.md, "Errors").
#include "cli/command.hpp"
#include "hubcache/version.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

int run(int argc, char** argv) {
  CLI::App app("hubcache: record, bake and replay the downloads of ML test suites.", "hubcache");
  app.set_version_flag("--version", std::string("hubcache ") + hubcache::k_version);
  app.require_subcommand(1);
  app.fallthrough(); // global options may follow the subcommand: `hubcache ls --store X`

  cli::GlobalOptions global;
  global.store = cli::default_store_dir();
  cli::add_store_option(app, global);

  std::vector<cli::Command> commands = {
      cli::add_ls(app, global),
      cli::add_stats(app, global),
      cli::add_verify(app, global),
      cli::add_gc(app, global),
      cli::add_serve(app, global),
      cli::add_run(app, global),
      cli::add_export(app, global),
      cli::add_ca(app, global),
      cli::add_env(app, global),
      cli::add_preload(app, global),
      cli::add_lock(app, global),
      cli::add_bake(app, global),
      cli::add_import(app, global),
      cli::add_mount(app, global),
  };

  std::vector<std::string> args(argv + 1, argv + argc);
  if (const auto dashes = std::find(args.begin(), args.end(), "--"); dashes != args.end()) {
    global.command.assign(dashes + 1, args.end());
    args.erase(dashes, args.end());
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a vector last argument first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, then where to look; CLI11's own output is several lines and no hint.
    std::string help = "hubcache --help";
    bool chosen = false;
    for (const auto& command : commands) {
      if (command.app->parsed()) {
        help = "hubcache " + command.app->get_name() + " --help";
        chosen = true;
      }
    }
    std::string message = first_line(e.what());
    const auto rest = app.remaining();
    if (!chosen && !rest.empty() && rest.front().rfind('-', 0) != 0) {
      message = "unknown subcommand '" + rest.front() + "'";
    }
    std::fprintf(stderr, "hubcache: error: %s (see '%s')\n", message.c_str(), help.c_str());
    return cli::k_exit_usage;
  }
  for (const auto& command : commands) {
    if (!command.app->parsed()) continue;
    if (!global.command.empty() && command.app->get_name() != "run") {
      std::fprintf(stderr, "hubcache: error: unexpected arguments after -- (see 'hubcache %s --help')\n",
                   command.app->get_name().c_str());
      return cli::k_exit_usage;
    }
    return command.run();
  }
  return cli::k_exit_usage;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hubcache: error: %s\n", e.what());
    return cli::k_exit_failure;
  } catch (...) {
    std::fprintf(stderr, "hubcache: error: unexpected internal error\n");
    return cli::k_exit_failure;
  }
}
