#include "engine/stats.hpp"

#include "hubcache/version.hpp"
#include "util/json_text.hpp"

#include <nlohmann/json.hpp>

namespace engine {

std::string health_json(const Identity& identity) {
  return util::to_json_text(nlohmann::json{{"status", "ok"},
                                           {"version", hubcache::k_version},
                                           {"mode", identity.mode},
                                           {"upstream", identity.upstream}});
}

std::string stats_json(const util::Metrics& metrics, const Identity& identity) {
  auto stats = nlohmann::json::parse(metrics.json());
  const auto requests = [&metrics](const char* cache) {
    return metrics.value("hubcache_requests_total", {{"cache", cache}});
  };
  const auto bytes = [&metrics](const char* source) {
    return metrics.value("hubcache_served_bytes_total", {{"source", source}});
  };
  const auto remote_requests = metrics.value("hubcache_remote_requests_total");
  // A stale answer is the local tier's too: the store answered it.
  stats["tiers"] = {
      {"local", {{"hits", requests("hit") + requests("stale")}, {"bytes", bytes("store")}}},
      {"remote",
       {{"hits", requests("remote")},
        {"bytes", bytes("remote")},
        {"requests", remote_requests},
        {"errors", metrics.value("hubcache_remote_errors_total")},
        {"mean_ms", remote_requests
                        ? static_cast<double>(metrics.value("hubcache_remote_request_ms_total")) /
                              static_cast<double>(remote_requests)
                        : 0.0}}},
      {"upstream", {{"fetches", requests("stored")}, {"bytes", bytes("upstream")}}}};
  stats["mode"] = identity.mode;
  stats["upstream"] = identity.upstream;
  stats["store"] = identity.store;
  return util::to_json_text(stats);
}

} // namespace engine
