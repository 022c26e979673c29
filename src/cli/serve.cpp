// `hubcache serve`: the record/replay mirror of one upstream.
#include "cli/command.hpp"
#include "cli/engine_flags.hpp"
#include "engine/engine.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

Command add_serve(CLI::App& parent, GlobalOptions& global) {
  auto flags = std::make_shared<EngineFlags>();
  auto* app = parent.add_subcommand(
      "serve", "Mirror an upstream: record what is fetched, replay it, or refresh it");
  add_store_option(*app, global);
  add_engine_options(*app, *flags);
  return {app, [&global, flags] {
            const auto& listen = flags->engine.listen;
            auto served = engine::serve_until_signalled(engine_options(global, *flags), [&](int port) {
              const auto host = listen.substr(0, listen.rfind(':'));
              std::printf("listening on http://%s:%d\n", host.empty() ? "127.0.0.1" : host.c_str(), port);
              std::fflush(stdout);
            });
            return served ? k_exit_ok : report(served.error());
          }};
}

} // namespace cli
