#include "util/size.hpp"

#include <gtest/gtest.h>

namespace {

TEST(ParseSize, ReadsDecimalAndBinaryUnits) {
  EXPECT_EQ(util::parse_size("0"), 0u);
  EXPECT_EQ(util::parse_size("1024"), 1024u);
  EXPECT_EQ(util::parse_size("20G"), 20'000'000'000u);
  EXPECT_EQ(util::parse_size("20GB"), 20'000'000'000u);
  EXPECT_EQ(util::parse_size("20g"), 20'000'000'000u);
  EXPECT_EQ(util::parse_size("500M"), 500'000'000u);
  EXPECT_EQ(util::parse_size("4k"), 4000u);
  EXPECT_EQ(util::parse_size("1.5Gi"), 1610612736u);
  EXPECT_EQ(util::parse_size("1.5GiB"), 1610612736u);
  EXPECT_EQ(util::parse_size("2Ti"), 2ull << 40);
  EXPECT_EQ(util::parse_size("20 G"), 20'000'000'000u);
}

TEST(ParseSize, RejectsWhatIsNotASize) {
  for (const char* bad :
       {"", "banana", "-1G", "G", "1.5", "1..5G", "10X", "10Gii", "1e3", "99999999999T", " 5G"}) {
    EXPECT_FALSE(util::parse_size(bad)) << bad;
  }
}

TEST(FormatSize, UsesDecimalUnitsWithOneDecimal) {
  EXPECT_EQ(util::format_size(0), "0 B");
  EXPECT_EQ(util::format_size(999), "999 B");
  EXPECT_EQ(util::format_size(1000), "1.0 kB");
  EXPECT_EQ(util::format_size(4096), "4.1 kB");
  EXPECT_EQ(util::format_size(20'000'000'000), "20.0 GB");
  EXPECT_EQ(util::format_size(999'960), "1.0 MB");
}

} // namespace
