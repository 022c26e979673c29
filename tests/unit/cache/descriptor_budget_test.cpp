#include "cache/descriptor_budget.hpp"

#include <gtest/gtest.h>

namespace {

TEST(DescriptorBudget, HotEntriesGetWhatConnectionsFetchesAndAMarginLeave) {
  // 1024 - 64 connections x 4 - 8 fetches x 6 - 256.
  EXPECT_EQ(cache::hot_entries_within({1024, 64, 8}), 1024u - 256 - 48 - 256);
}

TEST(DescriptorBudget, NoneWhenTheLimitIsAllTakenAlready) {
  // The defaults (1024 connections, 32 fetches) under the usual soft limit of 1024.
  EXPECT_EQ(cache::hot_entries_within({1024, 1024, 32}), 0u);
}

TEST(DescriptorBudget, NeverMoreThanTheCap) {
  EXPECT_EQ(cache::hot_entries_within({1u << 20, 1024, 32}), cache::k_max_hot_entries);
}

} // namespace
