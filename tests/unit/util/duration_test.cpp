#include "util/duration.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

TEST(Duration, ReadsUnits) {
  EXPECT_EQ(util::parse_duration("1s"), 1000ms);
  EXPECT_EQ(util::parse_duration("500ms"), 500ms);
  EXPECT_EQ(util::parse_duration("2m"), 120s);
  EXPECT_EQ(util::parse_duration("1h"), 3600s);
  EXPECT_EQ(util::parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(util::parse_duration("120"), 120s);
}

TEST(Duration, RejectsTheRest) {
  for (const char* bad : {"", "s", "-1s", "1d", "soon", "1 s", "1..2s"}) {
    EXPECT_FALSE(util::parse_duration(bad)) << bad;
  }
}

} // namespace
