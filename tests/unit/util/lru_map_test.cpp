#include "util/lru_map.hpp"

#include <string>

#include <gtest/gtest.h>

namespace {

TEST(LruMap, KeepsAtMostItsCapacityDroppingTheLeastRecentlyUsed) {
  util::LruMap<std::string, int> map(2);
  map.put("a", 1);
  map.put("b", 2);
  ASSERT_NE(map.find("a"), nullptr);  // "a" is now more recent than "b"
  map.put("c", 3);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.find("b"), nullptr);
  ASSERT_NE(map.find("a"), nullptr);
  EXPECT_EQ(*map.find("a"), 1);
  EXPECT_EQ(*map.find("c"), 3);
}

TEST(LruMap, PuttingAKeyAgainReplacesItsValueWithoutGrowing) {
  util::LruMap<std::string, int> map(2);
  map.put("a", 1);
  map.put("a", 5);
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(*map.find("a"), 5);
}

TEST(LruMap, ManyDistinctKeysStayWithinTheBound) {
  util::LruMap<int, int> map(512);
  for (int i = 0; i < 6000; ++i) map.put(i, i);
  EXPECT_EQ(map.size(), 512u);
  EXPECT_EQ(map.find(0), nullptr);
  ASSERT_NE(map.find(5999), nullptr);
}

} // namespace
