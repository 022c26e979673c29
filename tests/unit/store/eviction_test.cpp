#include "store/eviction.hpp"
#include "store/store.hpp"
#include "testutil.hpp"

#include <gtest/gtest.h>

namespace {

using testutil::TestStore;

// Three 1000-byte files used at t, t+1h, t+2h.
struct ThreeFiles {
  TestStore s;
  store::HubObjectKey oldest = testutil::put_hub_file(*s, std::string(1000, '1'), "oldest");
  store::HubObjectKey middle = (s.clock.advance_ms(3'600'000),
                                testutil::put_hub_file(*s, std::string(1000, '2'), "middle"));
  store::HubObjectKey newest = (s.clock.advance_ms(3'600'000),
                                testutil::put_hub_file(*s, std::string(1000, '3'), "newest"));
  bool has(const store::HubObjectKey& key) {
    return s->index().find_hub_object(key).value().has_value();
  }
};

TEST(Eviction, RemovesLeastRecentlyUsedFirstDownToTheBound) {
  ThreeFiles f;
  auto report = store::evict_to_bound(*f.s, 2000).value();
  EXPECT_EQ(report.evicted_blobs, 1u);
  EXPECT_EQ(report.evicted_bytes, 1000u);
  EXPECT_EQ(report.evicted_entries, 1u);
  EXPECT_TRUE(report.bound_reached);
  EXPECT_EQ(report.bytes_after, 2000u);
  EXPECT_FALSE(f.has(f.oldest));
  EXPECT_TRUE(f.has(f.middle));
  EXPECT_FALSE(
      std::filesystem::exists(f.s->layout().blob_path(util::Sha256::of(std::string(1000, '1')))));
}

TEST(Eviction, AReadCountsAsAUse) {
  ThreeFiles f;
  f.s.clock.advance_ms(3'600'000);
  ASSERT_TRUE(f.s->open_hub_object(f.oldest).value());
  store::evict_to_bound(*f.s, 2000).value();
  EXPECT_TRUE(f.has(f.oldest));
  EXPECT_FALSE(f.has(f.middle));
}

TEST(Eviction, SkipsABlobThatIsOpenForReading) {
  ThreeFiles f;
  auto open = f.s->open_hub_object(f.oldest).value(); // pinned until `open` goes
  ASSERT_TRUE(open);
  // The access was just recorded, so make `oldest` the LRU again by touching the others.
  f.s.clock.advance_ms(3'600'000);
  ASSERT_TRUE(f.s->open_hub_object(f.middle).value());
  ASSERT_TRUE(f.s->open_hub_object(f.newest).value());
  ASSERT_TRUE(f.s->index().put_hub_object([&] {
    auto o = f.s->index().find_hub_object(f.oldest).value().value();
    o.last_access = 0;
    return o;
  }()));

  auto report = store::evict_to_bound(*f.s, 0).value();
  EXPECT_EQ(report.skipped_in_use, 1u);
  EXPECT_EQ(report.evicted_blobs, 2u);
  EXPECT_FALSE(report.bound_reached);
  EXPECT_EQ(report.bytes_after, 1000u);
  EXPECT_TRUE(f.has(f.oldest));
  EXPECT_TRUE(std::filesystem::exists(f.s->layout().blob_path(open->entry.blob)));

  open.reset();
  report = store::evict_to_bound(*f.s, 0).value();
  EXPECT_EQ(report.evicted_blobs, 1u);
  EXPECT_TRUE(report.bound_reached);
}

TEST(Eviction, SkipsABlobBeingIndexed) {
  TestStore s;
  auto pinned = testutil::write_blob(*s, "being indexed"); // committed, not yet put()
  store::Exchange e;
  e.key = e.url = "u";
  e.method = "GET";
  e.status = 200;
  ASSERT_TRUE(s->put(&pinned, e));
  auto report = store::evict_to_bound(*s, 0).value();
  EXPECT_EQ(report.skipped_in_use, 1u);
  EXPECT_TRUE(s->index().find_exchange("u").value());
}

TEST(Eviction, NothingHappensUnderTheBound) {
  ThreeFiles f;
  auto report = store::evict_to_bound(*f.s, 3000).value();
  EXPECT_EQ(report.evicted_blobs, 0u);
  EXPECT_TRUE(report.bound_reached);
  EXPECT_TRUE(f.has(f.oldest));
}

} // namespace
