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

// Issue 14: bytes from outside that are not UTF-8 become U+FFFD, so every line parses.
constexpr const char* k_replacement = "\xef\xbf\xbd";

std::string quoted(std::string_view text) {
  const auto out = util::json_quote(text);
  // Whatever went in, what comes out is JSON (nlohmann's parser refuses invalid UTF-8).
  EXPECT_TRUE(nlohmann::json::accept(out)) << out;
  return out;
}

std::string replaced(int count, std::string_view before = "", std::string_view after = "") {
  std::string out = "\"" + std::string(before);
  for (int i = 0; i < count; ++i) out += k_replacement;
  return out + std::string(after) + "\"";
}

TEST(JsonQuote, ValidUtf8PassesThrough) {
  // 1, 2, 3 and 4 bytes, and the edges of each range.
  for (const char* text :
       {"plain", "\xc2\x80 \xdf\xbf", "\xe0\xa0\x80 \xed\x9f\xbf \xef\xbf\xbf",
        "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\xa4\x97"}) {
    EXPECT_EQ(quoted(text), "\"" + std::string(text) + "\"");
  }
}

TEST(JsonQuote, ABadLeadByteIsReplaced) {
  EXPECT_EQ(quoted("/\xff"), replaced(1, "/"));
  EXPECT_EQ(quoted("a\xf5\x80\x80\x80" "b"), replaced(4, "a", "b"));  // F5..FF are no lead
  EXPECT_EQ(quoted("\xfe\xfe"), replaced(2));
}

TEST(JsonQuote, AStrayContinuationByteIsReplaced) {
  EXPECT_EQ(quoted("a\x80" "b"), replaced(1, "a", "b"));
  EXPECT_EQ(quoted("\xbf\xbf"), replaced(2));
}

TEST(JsonQuote, ABadContinuationByteIsReplacedAndWhatFollowsKept) {
  EXPECT_EQ(quoted("\xc3(x"), replaced(1, "", "(x"));
  EXPECT_EQ(quoted("\xe6\x97(x"), replaced(1, "", "(x"));  // one maximal subpart
  EXPECT_EQ(quoted("\xf0\x9f\xa4\""), "\"" + std::string(k_replacement) + "\\\"\"");
}

TEST(JsonQuote, OverlongFormsAreReplaced) {
  EXPECT_EQ(quoted("\xc0\xaf"), replaced(2));              // '/' in two bytes
  EXPECT_EQ(quoted("\xc1\xbf"), replaced(2));
  EXPECT_EQ(quoted("\xe0\x80\xaf"), replaced(3));         // '/' in three
  EXPECT_EQ(quoted("\xf0\x80\x80\xaf"), replaced(4));    // '/' in four
}

TEST(JsonQuote, SurrogatesAreReplaced) {
  EXPECT_EQ(quoted("\xed\xa0\x80"), replaced(3));         // U+D800
  EXPECT_EQ(quoted("\xed\xbf\xbf"), replaced(3));         // U+DFFF
}

TEST(JsonQuote, CodePointsPastTheLastAreReplaced) {
  EXPECT_EQ(quoted("\xf4\x90\x80\x80"), replaced(4));    // U+110000
  EXPECT_EQ(quoted("\xf7\xbf\xbf\xbf"), replaced(4));
}

TEST(JsonQuote, ATruncatedSequenceIsReplaced) {
  EXPECT_EQ(quoted("end\xc3"), replaced(1, "end"));
  EXPECT_EQ(quoted("end\xe6\x97"), replaced(1, "end"));
  EXPECT_EQ(quoted("end\xf0\x9f\xa4"), replaced(1, "end"));
}

TEST(JsonLine, AUrlThatIsNotUtf8StillMakesALineThatParses) {
  const auto line = util::JsonLine().add("url", "http://localhost:1/\xff").str();
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["url"], std::string("http://localhost:1/") + k_replacement);
}

} // namespace
