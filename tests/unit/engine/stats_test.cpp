#include "engine/stats.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

TEST(Stats, HealthNamesTheEngine) {
  const auto health = nlohmann::json::parse(engine::health_json({"replay", "https://huggingface.co", "/s"}));
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["mode"], "replay");
  EXPECT_EQ(health["upstream"], "https://huggingface.co");
  EXPECT_TRUE(health.contains("version"));
}

TEST(Stats, TiersAddUpWhereAnswersCameFrom) {
  util::Metrics metrics;
  const auto requests = [&](const char* cache, int n) {
    metrics.counter("hubcache_requests_total", "Responses by cache result", {{"cache", cache}}).add(n);
  };
  requests("hit", 3);
  requests("stale", 1);
  requests("remote", 2);
  requests("stored", 4);
  metrics.counter("hubcache_served_bytes_total", "h", {{"source", "store"}}).add(100);
  metrics.counter("hubcache_served_bytes_total", "h", {{"source", "remote"}}).add(20);
  metrics.counter("hubcache_served_bytes_total", "h", {{"source", "upstream"}}).add(7);
  metrics.counter("hubcache_remote_requests_total", "h").add(4);
  metrics.counter("hubcache_remote_request_ms_total", "h").add(10);
  metrics.counter("hubcache_remote_errors_total", "h").add(1);
  const auto stats = nlohmann::json::parse(engine::stats_json(metrics, {"record", "u", "/store"}));
  const auto& tiers = stats["tiers"];
  EXPECT_EQ(tiers["local"]["hits"], 4);  // a stale answer came from the store too
  EXPECT_EQ(tiers["local"]["bytes"], 100);
  EXPECT_EQ(tiers["remote"]["hits"], 2);
  EXPECT_EQ(tiers["remote"]["bytes"], 20);
  EXPECT_EQ(tiers["remote"]["requests"], 4);
  EXPECT_EQ(tiers["remote"]["errors"], 1);
  EXPECT_DOUBLE_EQ(tiers["remote"]["mean_ms"].get<double>(), 2.5);
  EXPECT_EQ(tiers["upstream"]["fetches"], 4);
  EXPECT_EQ(tiers["upstream"]["bytes"], 7);
  EXPECT_EQ(stats["mode"], "record");
  EXPECT_EQ(stats["upstream"], "u");
  EXPECT_EQ(stats["store"], "/store");
  EXPECT_TRUE(stats.contains("hubcache_requests_total"));
}

TEST(Stats, NoRemoteRequestsMeansAMeanOfZero) {
  util::Metrics metrics;
  const auto stats = nlohmann::json::parse(engine::stats_json(metrics, {"record", "u", "/s"}));
  EXPECT_DOUBLE_EQ(stats["tiers"]["remote"]["mean_ms"].get<double>(), 0.0);
}

} // namespace
