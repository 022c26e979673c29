// `hubcache serve`: the record/replay mirror of one upstream.
#include "cli/command.hpp"
#include "cli/engine.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

Command add_serve(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<EngineOptions>();
  auto* app = parent.add_subcommand(
      "serve", "Mirror an upstream: record what is fetched, replay it, or refresh it");
  add_store_option(*app, global);
  add_engine_options(*app, *options);
  return {app, [&global, options] {
            return run_engine(global, *options, [&](int port) {
              const auto host = options->listen.substr(0, options->listen.rfind(':'));
              std::printf("listening on http://%s:%d\n", host.empty() ? "127.0.0.1" : host.c_str(),
                          port);
              std::fflush(stdout);
            });
          }};
}

} // namespace cli
