#include "util/json_line.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace {

TEST(JsonLine, BuildsAFlatObjectThatParsesBack) {
  util::JsonLine line;
  line.add("event", "access")
      .add("url", "/a \"b\"\\c\n\x01 ü")
      .add("status", 200)
      .add("bytes", std::uint64_t{18446744073709551615ull})
      .add("ms", std::int64_t{-3})
      .add("wait_s", 1.5)
      .add("aborted", true)
      .add("upstream_ms", std::optional<std::int64_t>{})
      .add("present", std::optional<std::int64_t>{7});
  const auto parsed = nlohmann::json::parse(line.str());
  EXPECT_EQ(parsed["event"], "access");
  EXPECT_EQ(parsed["url"], "/a \"b\"\\c\n\x01 ü");
  EXPECT_EQ(parsed["status"], 200);
  EXPECT_EQ(parsed["bytes"].get<std::uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(parsed["ms"], -3);
  EXPECT_DOUBLE_EQ(parsed["wait_s"].get<double>(), 1.5);
  EXPECT_EQ(parsed["aborted"], true);
  EXPECT_TRUE(parsed["upstream_ms"].is_null());
  EXPECT_EQ(parsed["present"], 7);
}

TEST(JsonLine, AnEmptyLineIsAnEmptyObject) { EXPECT_EQ(util::JsonLine().str(), "{}"); }

} // namespace
