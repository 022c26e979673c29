#include "cache/run_tally.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace {

const std::string k_origin = "https://huggingface.co";

http::AccessRecord record(const std::string& method, const std::string& url, int status,
                          const std::string& cache, std::uint64_t bytes = 0) {
  http::AccessRecord r;
  r.method = method;
  r.url = url;
  r.status = status;
  r.cache = cache;
  r.bytes = bytes;
  return r;
}

TEST(RunTally, EmptyAtFirst) {
  cache::RunTally tally(k_origin);
  const auto totals = tally.totals();
  EXPECT_EQ(totals.requests, 0u);
  EXPECT_EQ(totals.hits, 0u);
  EXPECT_EQ(totals.bytes_from_store, 0u);
  EXPECT_TRUE(tally.requests().empty());
  EXPECT_TRUE(tally.misses().empty());
  EXPECT_TRUE(tally.side_requests().empty());
}

TEST(RunTally, CountsEachCacheResult) {
  cache::RunTally tally(k_origin);
  tally.add(record("GET", "/a", 200, "hit", 10));
  tally.add(record("GET", "/b", 200, "hit", 20));
  tally.add(record("GET", "/c", 200, "stored", 300));
  tally.add(record("HEAD", "/d", 501, "miss"));
  tally.add(record("GET", "/e", 200, "stale", 4000));
  const auto totals = tally.totals();
  EXPECT_EQ(totals.requests, 5u);
  EXPECT_EQ(totals.hits, 2u);
  EXPECT_EQ(totals.stored, 1u);
  EXPECT_EQ(totals.misses, 1u);
  EXPECT_EQ(totals.stale, 1u);
  // Hits and stale answers came from the store; what was stored came from upstream.
  EXPECT_EQ(totals.bytes_from_store, 4030u);
  EXPECT_EQ(totals.bytes_from_upstream, 0u);
}

TEST(RunTally, OtherCacheResultsCountAsRequestsOnly) {
  cache::RunTally tally(k_origin);
  tally.add(record("GET", "/api/whoami-v2", 401, "", 50));
  tally.add(record("CONNECT", "huggingface.co:443", 200, "bypass", 70));
  const auto totals = tally.totals();
  EXPECT_EQ(totals.requests, 2u);
  EXPECT_EQ(totals.hits + totals.stored + totals.misses + totals.stale, 0u);
  EXPECT_EQ(totals.bytes_from_store, 0u);
  EXPECT_EQ(tally.requests().size(), 2u);
}

TEST(RunTally, DistinctRequestsInFirstSeenOrderWithOrigin) {
  cache::RunTally tally(k_origin);
  tally.add(record("HEAD", "/gpt2/resolve/main/config.json", 200, "stored"));
  tally.add(record("GET", "/gpt2/resolve/main/config.json", 200, "stored", 665));
  tally.add(record("HEAD", "/gpt2/resolve/main/config.json", 200, "hit"));
  tally.add(record("GET", "/api/models/gpt2", 200, "hit", 99));
  const auto requests = tally.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "HEAD");
  EXPECT_EQ(requests[0].url, k_origin + "/gpt2/resolve/main/config.json");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].url, k_origin + "/gpt2/resolve/main/config.json");
  EXPECT_EQ(requests[2].url, k_origin + "/api/models/gpt2");
  EXPECT_EQ(tally.totals().requests, 4u);
}

TEST(RunTally, RepeatsKeepLastAnswerAndCount) {
  cache::RunTally tally(k_origin);
  tally.add(record("GET", "/x", 502, "miss", 0));
  tally.add(record("GET", "/x", 200, "stored", 123));
  tally.add(record("GET", "/x", 200, "hit", 123));
  const auto requests = tally.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].status, 200);
  EXPECT_EQ(requests[0].cache, "hit");
  EXPECT_EQ(requests[0].bytes, 123u);
  EXPECT_EQ(requests[0].count, 3u);
}

TEST(RunTally, AbsoluteUrlsKeptAsTheyAre) {
  // A forward-proxy request names its own origin, which is not the upstream's.
  cache::RunTally tally(k_origin);
  tally.add(record("GET", "http://example.com/files/a.bin", 200, "hit", 5));
  const auto requests = tally.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, "http://example.com/files/a.bin");
}

TEST(RunTally, OriginFormAndAbsoluteOfTheSameUrlAreOneRequest) {
  cache::RunTally tally(k_origin);
  tally.add(record("GET", "/a.txt", 200, "stored", 5));
  tally.add(record("GET", k_origin + "/a.txt", 200, "hit", 5));
  const auto requests = tally.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].count, 2u);
  EXPECT_EQ(requests[0].cache, "hit");
}

TEST(RunTally, MethodIsPartOfTheKey) {
  cache::RunTally tally(k_origin);
  tally.add(record("POST", "/api/models/org/name/paths-info/main", 200, "stored", 10));
  tally.add(record("GET", "/api/models/org/name/paths-info/main", 405, "miss"));
  EXPECT_EQ(tally.requests().size(), 2u);
}

TEST(RunTally, MissesOnlyByLastAnswer) {
  cache::RunTally tally(k_origin);
  tally.add(record("GET", "/missed-then-stored", 504, "miss"));
  tally.add(record("GET", "/missed-then-stored", 200, "stored", 1));
  tally.add(record("GET", "/stored-then-missed", 200, "stored", 1));
  tally.add(record("GET", "/stored-then-missed", 504, "miss"));
  tally.add(record("HEAD", "/always-missed", 404, "miss"));
  tally.add(record("GET", "/hit", 200, "hit", 1));
  const auto misses = tally.misses();
  ASSERT_EQ(misses.size(), 2u);
  EXPECT_EQ(misses[0].url, k_origin + "/stored-then-missed");
  EXPECT_EQ(misses[0].status, 504);
  EXPECT_EQ(misses[1].method, "HEAD");
  EXPECT_EQ(misses[1].url, k_origin + "/always-missed");
  EXPECT_EQ(misses[1].status, 404);
  // A request that missed, then was answered, is no miss: the client got its answer.
  EXPECT_EQ(tally.totals().misses, 2u);
  EXPECT_EQ(tally.requests().size(), 4u);
}

TEST(RunTally, ARetriedMissCountsOnce) {
  // Issue 15: a client that retries a miss seven times has missed one download, not seven.
  cache::RunTally tally(k_origin);
  for (int i = 0; i < 7; ++i) tally.add(record("HEAD", "/org/m/resolve/main/x.bin", 501, "miss"));
  EXPECT_EQ(tally.totals().misses, 1u);
  EXPECT_EQ(tally.totals().requests, 7u);
  ASSERT_EQ(tally.misses().size(), 1u);
  EXPECT_EQ(tally.misses()[0].count, 7u);
}

TEST(RunTally, SideRequestsAreOptionalNeverMisses) {
  cache::RunTally tally(k_origin);
  auto counter = record("HEAD", "https://s3.amazonaws.com/datasets.huggingface.co/datasets/datasets/a/a.py",
                        404, "optional");
  counter.optional = "datasets' download counter";
  tally.add(counter);
  auto viewer = record("GET", "https://datasets-server.huggingface.co/info?dataset=a", 200, "hit", 30);
  viewer.optional = "datasets' dataset viewer lookup (/info)";
  tally.add(viewer);
  auto failed = record("GET", "https://pypi.org/pypi/huggingface_hub/json", 502, "miss");
  failed.optional = "the hf CLI's update check";
  tally.add(failed);
  const auto totals = tally.totals();
  EXPECT_EQ(totals.misses, 0u);
  EXPECT_EQ(totals.optional, 3u);
  EXPECT_EQ(totals.hits, 1u);  // a recorded side request is a hit all the same
  EXPECT_TRUE(tally.misses().empty());
  const auto side = tally.side_requests();
  ASSERT_EQ(side.size(), 3u);
  EXPECT_EQ(side[0].optional, "datasets' download counter");
}

cache::RunRequest request(const std::string& method, const std::string& url, int status,
                          const std::string& optional = "") {
  cache::RunRequest r;
  r.method = method;
  r.url = url;
  r.status = status;
  r.cache = "miss";
  r.optional = optional;
  return r;
}

TEST(MissReport, KindsOfRequests) {
  using cache::request_kind;
  EXPECT_EQ(request_kind(request("HEAD", k_origin + "/org/m/resolve/main/config.json", 501), k_origin),
            "Hub file");
  EXPECT_EQ(request_kind(request("GET", k_origin + "/datasets/org/d/resolve/abc/x.csv?download=true", 501),
                         k_origin),
            "Hub file");
  EXPECT_EQ(request_kind(request("GET", k_origin + "/api/resolve-cache/models/org/m/abc/a.json", 501),
                         k_origin),
            "Hub file");
  EXPECT_EQ(request_kind(request("GET", k_origin + "/api/datasets/org/d/tree/abc/data?recursive=true", 501),
                         k_origin),
            "listing");
  EXPECT_EQ(request_kind(request("POST", k_origin + "/api/datasets/org/d/paths-info/abc", 501), k_origin),
            "listing");
  EXPECT_EQ(request_kind(request("GET", k_origin + "/api/models?search=bert", 501), k_origin), "listing");
  EXPECT_EQ(request_kind(request("GET", k_origin + "/api/models/org/m/revision/main", 501), k_origin),
            "Hub API");
  EXPECT_EQ(request_kind(request("GET", "https://example.com/w.bin", 501), k_origin), "URL");
  EXPECT_EQ(request_kind(request("GET", k_origin + ".evil.com/api/x", 501), k_origin), "URL");
  EXPECT_EQ(request_kind(request("CONNECT", "pypi.org:443", 403), k_origin), "URL");
  EXPECT_EQ(request_kind(request("GET", "https://pypi.org/pypi/x/json", 404, "update check"), k_origin),
            "optional");
}

TEST(MissReport, WhatToDoNamesTheFix) {
  using cache::miss_cause;
  using cache::Mode;
  EXPECT_EQ(miss_cause(request("HEAD", k_origin + "/org/m/resolve/main/a.json", 501), k_origin, Mode::replay),
            "not recorded: record again, or add it to the preload manifest");
  EXPECT_EQ(miss_cause(request("GET", k_origin + "/api/models/org/m", 501), k_origin, Mode::replay),
            "not recorded: record again");
  EXPECT_EQ(miss_cause(request("CONNECT", "pypi.org:443", 403), k_origin, Mode::record),
            "not allowed: record with --allow-host https://pypi.org");
  EXPECT_EQ(miss_cause(request("GET", "http://example.com:8080/a", 403), k_origin, Mode::record),
            "not allowed: record with --allow-host http://example.com:8080");
  EXPECT_EQ(miss_cause(request("GET", "https://example.com/a", 403), k_origin, Mode::replay),
            "not recorded, not an allowed origin: record again with --allow-host https://example.com");
  EXPECT_EQ(miss_cause(request("GET", k_origin + "/org/m/resolve/main/a.json", 502), k_origin, Mode::record),
            "upstream failed (502): record again when it answers");
}

TEST(RunTally, SkipsOwnEndpoints) {
  cache::RunTally tally(k_origin);
  tally.add(record("GET", "/_hubcache/metrics", 200, "", 1000));
  tally.add(record("GET", "/_hubcache/health", 200, "hit", 2));
  tally.add(record("GET", "/_hubcachex/file", 200, "hit", 3));
  tally.add(record("GET", "/org/_hubcache/file", 200, "hit", 4));
  const auto totals = tally.totals();
  EXPECT_EQ(totals.requests, 2u);
  EXPECT_EQ(totals.hits, 2u);
  EXPECT_EQ(totals.bytes_from_store, 7u);
  const auto requests = tally.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].url, k_origin + "/_hubcachex/file");
  EXPECT_EQ(requests[1].url, k_origin + "/org/_hubcache/file");
}

TEST(RunTally, SafeFromManyThreads) {
  cache::RunTally tally(k_origin);
  constexpr int k_threads = 4;
  constexpr int k_each = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&tally, t] {
      for (int i = 0; i < k_each; ++i) {
        tally.add(record("GET", "/f" + std::to_string(i % 10), 200, t % 2 == 0 ? "hit" : "stored", 2));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto totals = tally.totals();
  EXPECT_EQ(totals.requests, std::uint64_t{k_threads * k_each});
  EXPECT_EQ(totals.hits, std::uint64_t{k_threads / 2 * k_each});
  EXPECT_EQ(totals.bytes_from_store, std::uint64_t{k_threads / 2 * k_each * 2});
  const auto requests = tally.requests();
  ASSERT_EQ(requests.size(), 10u);
  std::uint64_t counted = 0;
  for (const auto& request : requests) counted += request.count;
  EXPECT_EQ(counted, std::uint64_t{k_threads * k_each});
}

} // namespace
