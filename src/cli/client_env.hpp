// The environment that points clients at a running hubcache: the Hub endpoint, the proxy
// variables (both cases: tools read one or the other), and the CA bundle variables each
// ecosystem reads. Shared by `run` (for its command) and `env` (for a CI step).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace cli {

using Environment = std::vector<std::pair<std::string, std::string>>;

// For hubcache at `endpoint` ("http://127.0.0.1:8780") with the CA bundle at `bundle`.
Environment client_environment(const std::string& endpoint, const std::filesystem::path& bundle);

// The variables that stop the ecosystem's side requests (cache/side_requests: telemetry,
// update checks, download counters), so a run is the same every time: NAME=value pairs, each
// set by `run` unless the user set it already.
Environment quiet_environment();

} // namespace cli
