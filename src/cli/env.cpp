// `hubcache env [--format sh|github]`: the variables `run` sets, for a CI step that starts
// `hubcache serve` itself and runs the tests in later steps.
#include "cli/client_env.hpp"
#include "cli/command.hpp"
#include "engine/client_bundle.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct EnvOptions {
  std::string endpoint = "http://127.0.0.1:8780";
  std::string format = "sh";
  bool quiet_env = true;
};

// Single quotes, with any ' inside closed, escaped and reopened.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

int run_env(const GlobalOptions& global, const EnvOptions& options) {
  // Like every command but the engine's (serve, run, preload) and import: a mistyped --store
  // is said, not silently made (issue 15).
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
  auto bundle = engine::write_client_bundle((*store)->layout().ca_dir());
  if (!bundle) return report(bundle.error());
  auto environment = client_environment(options.endpoint, *bundle);
  if (options.quiet_env) {
    const auto quiet = quiet_environment();
    environment.insert(environment.end(), quiet.begin(), quiet.end());
  }
  for (const auto& [name, value] : environment) {
    if (options.format == "github") {
      std::printf("%s=%s\n", name.c_str(), value.c_str());  // append to $GITHUB_ENV
    } else {
      std::printf("export %s=%s\n", name.c_str(), shell_quote(value).c_str());
    }
  }
  return k_exit_ok;
}

} // namespace

Command add_env(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<EnvOptions>();
  auto* app = parent.add_subcommand(
      "env", "Print the environment that points clients at a running hubcache serve");
  add_store_option(*app, global);
  app->add_option("--endpoint", options->endpoint, "Where hubcache serve listens")
      ->type_name("URL")
      ->capture_default_str();
  app->add_option("--format", options->format,
                  "sh: export lines for eval; github: NAME=value lines for $GITHUB_ENV")
      ->check(CLI::IsMember({"sh", "github"}))
      ->capture_default_str();
  app->add_flag("!--no-quiet-env", options->quiet_env,
                "Leave out the variables that stop telemetry, update checks and download "
                "counters (HF_HUB_DISABLE_TELEMETRY=1, ...)");
  app->footer("e.g.  eval \"$(hubcache env)\"   or   hubcache env --format github >> \"$GITHUB_ENV\"");
  return {app, [&global, options] { return run_env(global, *options); }};
}

} // namespace cli
