// The CA bundle clients of an engine trust: the system's CAs plus the store's interception
// CA, so that CONNECT tunnels through the engine verify. Used by `run`, `env` and preload.
#pragma once

#include "util/result.hpp"

#include <filesystem>

namespace engine {

// Creates the store's CA in `ca_dir` if needed and writes `ca_dir`/bundle.pem (system CAs +
// ours). Returns its absolute path. Errc::io: the CA or the bundle could not be written.
util::Result<std::filesystem::path> write_client_bundle(const std::filesystem::path& ca_dir);

} // namespace engine
