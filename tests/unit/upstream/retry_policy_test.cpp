#include "upstream/retry_policy.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using upstream::AttemptOutcome;
using upstream::WaitSource;

constexpr util::UnixMillis k_now = 784'111'777'000;  // Sun, 06 Nov 1994 08:49:37 GMT

AttemptOutcome status(int code, std::string retry_after = {}, std::string body = {}) {
  AttemptOutcome outcome;
  outcome.status = code;
  outcome.retry_after = std::move(retry_after);
  outcome.body = std::move(body);
  return outcome;
}

TEST(RetryPolicy, RetriesThrottlingAndGatewayErrorsOnly) {
  const upstream::RetryPolicy policy;
  for (int code : {429, 502, 503, 504}) {
    EXPECT_TRUE(upstream::decide(policy, 1, status(code), k_now, 0.5).retry) << code;
  }
  for (int code : {200, 301, 400, 401, 403, 404, 500, 501}) {
    EXPECT_FALSE(upstream::decide(policy, 1, status(code), k_now, 0.5).retry) << code;
  }
  AttemptOutcome reset;
  reset.transport_error = true;
  EXPECT_TRUE(upstream::decide(policy, 1, reset, k_now, 0.5).retry);
}

TEST(RetryPolicy, NeverRetriesANonIdempotentRequest) {
  auto outcome = status(503);
  outcome.idempotent = false;
  EXPECT_FALSE(upstream::decide({}, 1, outcome, k_now, 0.5).retry);
}

TEST(RetryPolicy, StopsAfterMaxRetries) {
  upstream::RetryPolicy policy;
  policy.max_retries = 2;
  EXPECT_TRUE(upstream::decide(policy, 2, status(429), k_now, 0.5).retry);
  EXPECT_FALSE(upstream::decide(policy, 3, status(429), k_now, 0.5).retry);
}

TEST(RetryPolicy, HonoursRetryAfterDeltaSeconds) {
  const auto d = upstream::decide({}, 1, status(429, "7"), k_now, 0.99);
  EXPECT_EQ(d.wait, 7s);
  EXPECT_EQ(d.source, WaitSource::retry_after);
}

TEST(RetryPolicy, HonoursRetryAfterHttpDate) {
  const auto d = upstream::decide({}, 1, status(503, "Sun, 06 Nov 1994 08:50:07 GMT"), k_now, 0);
  EXPECT_EQ(d.wait, 30s);
  EXPECT_EQ(d.source, WaitSource::retry_after);
}

TEST(RetryPolicy, FallsBackToTheBody) {
  const auto d = upstream::decide(
      {}, 1, status(429, "", R"({"error":"Too many requests, retry after 12 seconds"})"), k_now,
      0.5);
  EXPECT_EQ(d.wait, 12s);
  EXPECT_EQ(d.source, WaitSource::body);
}

TEST(RetryPolicy, CapsHintsAtTheCeiling) {
  upstream::RetryPolicy policy;
  policy.ceiling = 10s;
  EXPECT_EQ(upstream::decide(policy, 1, status(429, "3600"), k_now, 0.5).wait, 10s);
}

TEST(RetryPolicy, BacksOffExponentiallyWithJitterBetweenFloorAndCeiling) {
  upstream::RetryPolicy policy;
  policy.floor = 1s;
  policy.ceiling = 10s;
  policy.max_retries = 20;
  // random01 = 0.5 means no jitter.
  EXPECT_EQ(upstream::decide(policy, 1, status(503), k_now, 0.5).wait, 1s);
  EXPECT_EQ(upstream::decide(policy, 2, status(503), k_now, 0.5).wait, 2s);
  EXPECT_EQ(upstream::decide(policy, 3, status(503), k_now, 0.5).wait, 4s);
  EXPECT_EQ(upstream::decide(policy, 5, status(503), k_now, 0.5).wait, 10s);
  EXPECT_EQ(upstream::decide(policy, 2, status(503), k_now, 0.0).wait, 1800ms);
  EXPECT_EQ(upstream::decide(policy, 2, status(503), k_now, 0.999999).wait, 2199ms);
  // Jitter never pushes past the ceiling.
  EXPECT_EQ(upstream::decide(policy, 9, status(503), k_now, 0.999999).wait, 10s);
  EXPECT_EQ(upstream::decide(policy, 2, status(503), k_now, 0.5).source, WaitSource::backoff);
}

TEST(RetryAfter, ParsesAllThreeHttpDateForms) {
  EXPECT_EQ(upstream::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), k_now);
  EXPECT_EQ(upstream::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), k_now);
  EXPECT_EQ(upstream::parse_http_date("Sun Nov  6 08:49:37 1994"), k_now);
}

TEST(RetryAfter, ADateInThePastMeansNow) {
  EXPECT_EQ(upstream::parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", k_now), 0ms);
}

TEST(RetryAfter, RejectsGarbage) {
  for (const char* bad : {"", "soon", "-5", "1.5", "Sun, 06 Nov 1994", "Sun, 32 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT trailing"}) {
    EXPECT_FALSE(upstream::parse_retry_after(bad, k_now)) << bad;
  }
}

TEST(RetryAfter, FindsHintsInBodies) {
  EXPECT_EQ(upstream::find_retry_after_in_body("Please retry after 30 seconds."), 30s);
  EXPECT_EQ(upstream::find_retry_after_in_body("RETRY-AFTER: 5"), 5s);
  EXPECT_EQ(upstream::find_retry_after_in_body("Try again in 2 minutes"), 120s);
  EXPECT_EQ(upstream::find_retry_after_in_body("retry after 1.5s"), 1500ms);
  EXPECT_EQ(upstream::find_retry_after_in_body("retry after 250 ms"), 250ms);
  EXPECT_FALSE(upstream::find_retry_after_in_body("rate limited"));
  EXPECT_FALSE(upstream::find_retry_after_in_body(""));
}

} // namespace
