#include "store/space_budget.hpp"
#include "store/store.hpp"
#include "testutil.hpp"

#include <gtest/gtest.h>

namespace {

using testutil::TestStore;

TEST(SpaceBudget, ReservesWithinTheBoundAndEvictsForMore) {
  std::uint64_t asked = 0;
  store::SpaceBudget budget(100, 90, [&](std::uint64_t want) -> util::Result<std::uint64_t> {
    asked = want;
    return want;
  });
  ASSERT_TRUE(budget.reserve(10));
  EXPECT_EQ(budget.used(), 100u);
  ASSERT_TRUE(budget.reserve(5));
  EXPECT_EQ(asked, 5u);
  EXPECT_EQ(budget.used(), 100u);
  budget.release(30);
  EXPECT_EQ(budget.used(), 70u);
}

TEST(SpaceBudget, FailsWhenNothingCanBeEvicted) {
  store::SpaceBudget budget(100, 100, [](std::uint64_t) -> util::Result<std::uint64_t> { return 0; });
  auto full = budget.reserve(1);
  ASSERT_FALSE(full);
  EXPECT_NE(full.error().message.find("full"), std::string::npos);
  EXPECT_FALSE(budget.reserve(101));  // larger than the bound itself
  EXPECT_EQ(budget.used(), 100u);
}

// A bounded store: writes evict the least recently used blob, never an open one, and the
// bytes on disk never pass the bound.
TEST(BoundedStore, EvictsLeastRecentlyUsedToMakeRoom) {
  TestStore s;
  ASSERT_TRUE(s->set_bound(2500));
  const auto first = testutil::put_hub_file(*s, std::string(1000, 'a'), "a");
  s.clock.advance_ms(3'600'000);
  const auto second = testutil::put_hub_file(*s, std::string(1000, 'b'), "b");
  s.clock.advance_ms(3'600'000);
  EXPECT_EQ(s->budget()->used(), 2000u);
  testutil::put_hub_file(*s, std::string(1000, 'c'), "c");
  EXPECT_LE(s->budget()->used(), 2500u);
  EXPECT_FALSE(s->index().find_hub_object(first).value());
  EXPECT_TRUE(s->index().find_hub_object(second).value());
  EXPECT_EQ(s->budget()->evicted_blobs(), 1u);
}

TEST(BoundedStore, AnOpenBlobIsNeverEvictedAndTheWriteFailsInstead) {
  TestStore s;
  ASSERT_TRUE(s->set_bound(1500));
  const auto held = testutil::put_hub_file(*s, std::string(1000, 'a'), "a");
  auto open = s->open_hub_object(held).value();
  ASSERT_TRUE(open);
  auto writer = s->begin_blob().value();
  ASSERT_TRUE(writer.write(std::string(400, 'x')));
  auto over = writer.write(std::string(400, 'y'));
  ASSERT_FALSE(over);
  EXPECT_LE(s->budget()->used(), 1500u);
  EXPECT_TRUE(s->index().find_hub_object(held).value());
  writer.discard();
  EXPECT_EQ(s->budget()->used(), 1000u);
}

TEST(BoundedStore, ACopyOfContentAlreadyThereFreesItsBytes) {
  TestStore s;
  ASSERT_TRUE(s->set_bound(10'000));
  testutil::put_hub_file(*s, std::string(1000, 'a'), "a");
  auto writer = s->begin_blob().value();
  ASSERT_TRUE(writer.write(std::string(1000, 'a')));
  EXPECT_EQ(s->budget()->used(), 2000u);
  ASSERT_TRUE(writer.commit());
  EXPECT_EQ(s->budget()->used(), 1000u);
}

} // namespace
