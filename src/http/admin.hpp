// hubcache's own routes under /_hubcache/: health, metrics (Prometheus text), stats (JSON).
#pragma once

#include "http/router.hpp"
#include "util/metrics.hpp"

#include <functional>
#include <string>

namespace http {

// `health` and `stats` return JSON documents; both are called per request, from any thread.
void install_admin(Router& router, util::Metrics& metrics, std::function<std::string()> health,
                   std::function<std::string()> stats);

} // namespace http
