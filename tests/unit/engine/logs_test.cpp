#include "engine/logs.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

TEST(Logs, AnAccessLineHasItsFieldsAndOnlyTheOptionalOnesThatApply) {
  http::AccessRecord r;
  r.ts = 0;
  r.method = "GET";
  r.url = "/org/name/resolve/main/a.bin";
  r.status = 200;
  r.cache = "hit";
  r.bytes = 5;
  r.ms = 3;
  const auto line = nlohmann::json::parse(engine::access_line(r));
  EXPECT_EQ(line["event"], "access");
  EXPECT_EQ(line["ts"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(line["method"], "GET");
  EXPECT_EQ(line["url"], r.url);
  EXPECT_EQ(line["status"], 200);
  EXPECT_EQ(line["cache"], "hit");
  EXPECT_EQ(line["bytes"], 5);
  EXPECT_EQ(line["ms"], 3);
  EXPECT_TRUE(line["upstream_ms"].is_null());
  EXPECT_FALSE(line.contains("aborted"));
  EXPECT_FALSE(line.contains("optional"));

  r.aborted = true;
  r.optional = "telemetry";
  r.upstream_ms = 7;
  const auto cut = nlohmann::json::parse(engine::access_line(r));
  EXPECT_EQ(cut["aborted"], true);
  EXPECT_EQ(cut["optional"], "telemetry");
  EXPECT_EQ(cut["upstream_ms"], 7);
}

TEST(Logs, AnAccessLineWithBytesThatAreNotUtf8IsStillOneJsonLine) {
  http::AccessRecord r;
  r.url = std::string("/a\xff\xfe") + "b";
  const auto text = engine::access_line(r);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << text;
}

TEST(Logs, AThrottleLineSaysWhyAndHowLong) {
  upstream::ThrottleEvent t;
  t.url = "https://huggingface.co/api/models/x";
  t.attempt = 2;
  t.status = 429;
  t.wait = std::chrono::milliseconds(1500);
  t.source = upstream::WaitSource::retry_after;
  const auto line = nlohmann::json::parse(engine::throttle_line(t, 1000));
  EXPECT_EQ(line["event"], "throttle");
  EXPECT_EQ(line["ts"], "1970-01-01T00:00:01Z");
  EXPECT_EQ(line["url"], t.url);
  EXPECT_EQ(line["attempt"], 2);
  EXPECT_EQ(line["status"], 429);
  EXPECT_DOUBLE_EQ(line["wait_s"].get<double>(), 1.5);
  EXPECT_EQ(line["source"], upstream::to_string(t.source));
  EXPECT_FALSE(line.contains("error"));

  t.status.reset();
  t.error = "connection refused";
  const auto broken = nlohmann::json::parse(engine::throttle_line(t, 1000));
  EXPECT_TRUE(broken["status"].is_null());
  EXPECT_EQ(broken["error"], "connection refused");
}

} // namespace
