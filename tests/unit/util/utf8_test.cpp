#include "util/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(Utf8, AcceptsWellFormedText) {
  for (const char* good : {"", "plain ascii", "ünïcödé", "€", "日本語", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(util::is_valid_utf8(good)) << good;
  }
}

TEST(Utf8, RefusesEachKindOfIllFormedSequence) {
  for (const char* bad : {"\xff", "\x80", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe2\x82", "\xf0\x9f\x98"}) {
    EXPECT_FALSE(util::is_valid_utf8(bad)) << bad;
  }
}

TEST(Utf8, ReplacesIllFormedBytesWithTheReplacementCharacter) {
  EXPECT_EQ(util::to_valid_utf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(util::to_valid_utf8("\xc3"), "\xef\xbf\xbd");
  EXPECT_EQ(util::to_valid_utf8("ok €"), "ok €");
  EXPECT_TRUE(util::is_valid_utf8(util::to_valid_utf8("\xed\xa0\x80\xc0\xaf")));
}

} // namespace
