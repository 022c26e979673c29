#include "http/range.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using http::RangeKind;

TEST(Range, ReadsTheThreeSingleRangeForms) {
  auto r = http::parse_range("bytes=10-19", 100);
  EXPECT_EQ(r.kind, RangeKind::satisfiable);
  EXPECT_EQ(r.range.first, 10u);
  EXPECT_EQ(r.range.last, 19u);
  r = http::parse_range("bytes=90-", 100);
  EXPECT_EQ(r.range.first, 90u);
  EXPECT_EQ(r.range.last, 99u);
  r = http::parse_range("bytes=-5", 100);
  EXPECT_EQ(r.range.first, 95u);
  EXPECT_EQ(r.range.last, 99u);
  r = http::parse_range("bytes=0-0", 100);
  EXPECT_EQ(r.range.length(), 1u);
}

TEST(Range, ClipsARangeRunningPastTheEnd) {
  auto r = http::parse_range("bytes=100-999999", 5000);
  EXPECT_EQ(r.kind, RangeKind::satisfiable);
  EXPECT_EQ(r.range.first, 100u);
  EXPECT_EQ(r.range.last, 4999u);
  r = http::parse_range("bytes=-1000", 10);
  EXPECT_EQ(r.range.first, 0u);
  EXPECT_EQ(r.range.last, 9u);
}

// Issue 15: hf_transfer's last range ends at the file's size, one past its last byte
// (hf-protocol.md §11.4): it is the tail of the file, never a 416.
TEST(Range, Issue15HfTransferLastRangeEndingAtTheSize) {
  const std::uint64_t size = 5 * 10485760ull + 4321;
  const auto r = http::parse_range("bytes=52428800-" + std::to_string(size), size);
  EXPECT_EQ(r.kind, RangeKind::satisfiable);
  EXPECT_EQ(r.range.first, 52428800u);
  EXPECT_EQ(r.range.last, size - 1);
  EXPECT_EQ(r.range.length(), 4321u);
}

TEST(Range, PastTheEndIsUnsatisfiable) {
  EXPECT_EQ(http::parse_range("bytes=100-", 100).kind, RangeKind::unsatisfiable);
  EXPECT_EQ(http::parse_range("bytes=100-999999", 6).kind, RangeKind::unsatisfiable);
  EXPECT_EQ(http::parse_range("bytes=-0", 100).kind, RangeKind::unsatisfiable);
  EXPECT_EQ(http::parse_range("bytes=0-", 0).kind, RangeKind::unsatisfiable);
}

TEST(Range, IgnoresWhatItDoesNotServe) {
  for (const char* header : {"", "items=0-1", "bytes=0-1,4-5", "bytes=5-1", "bytes=a-b",
                             "bytes=-", "bytes=", "bytes 0-1"}) {
    EXPECT_EQ(http::parse_range(header, 100).kind, RangeKind::none) << header;
  }
}

} // namespace
