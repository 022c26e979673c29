#include "util/json_text.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace {

// Issue 14: nlohmann's own dump() throws type_error 316 on such a string.
TEST(JsonText, InvalidUtf8IsReplacedNotThrown) {
  const nlohmann::json value = {{"url", "http://localhost:1/\xff"}, {"n", 1}};
  ASSERT_THROW((void)value.dump(), nlohmann::json::type_error);
  std::string text;
  ASSERT_NO_THROW(text = util::to_json_text(value));
  const auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["url"], "http://localhost:1/\xef\xbf\xbd");
  EXPECT_EQ(parsed["n"], 1);
}

TEST(JsonText, ValidValuesAreDumpedAsDumpWould) {
  const nlohmann::json value = {{"a", {1, 2}}, {"b", "caf\xc3\xa9"}};
  EXPECT_EQ(util::to_json_text(value), value.dump());
  EXPECT_EQ(util::to_json_text(value, 2), value.dump(2));
}

} // namespace
