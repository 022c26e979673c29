// The engine's flags, shared by `serve` and `run`: declared here, read into engine::Options.
#pragma once

#include "cli/command.hpp"
#include "cli/remote_options.hpp"
#include "engine/options.hpp"

namespace cli {

struct EngineFlags {
  engine::Options engine;   // everything but the store and the bucket, filled by CLI11
  RemoteCliOptions remote;  // --remote, --s3-endpoint, --s3-ca, --remote-ttl
};

// Adds the engine's flags to `app`.
void add_engine_options(CLI::App& app, EngineFlags& flags);

// The options the flags (and --store) name.
engine::Options engine_options(const GlobalOptions& global, const EngineFlags& flags);

} // namespace cli
