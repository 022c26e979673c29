#include "store/store.hpp"
#include "testutil.hpp"

#include <gtest/gtest.h>

namespace {

using testutil::TestStore;

TEST(Store, AHubObjectIsFoundWithItsBody) {
  TestStore s;
  const auto key = testutil::put_hub_file(*s, "{\"model_type\":\"bert\"}", "config.json");
  auto found = s->open_hub_object(key).value();
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->body);
  EXPECT_EQ(found->body->size(), 21u);
  EXPECT_EQ(found->entry.size, 21u);
  EXPECT_EQ(found->entry.blob, util::Sha256::of("{\"model_type\":\"bert\"}"));
  EXPECT_EQ(found->entry.stored_at, s.clock.now());
}

TEST(Store, AnExchangeWithoutBodyIsFound) {
  TestStore s;
  store::Exchange e;
  e.key = "HEAD https://x/y";
  e.method = "HEAD";
  e.url = "https://x/y";
  e.status = 404;
  ASSERT_TRUE(s->put(nullptr, e));
  auto found = s->open_exchange(e.key).value();
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->body);
  EXPECT_EQ(found->entry.status, 404);
}

TEST(Store, OpeningRecordsTheAccess) {
  TestStore s;
  const auto key = testutil::put_hub_file(*s, "x", "x.txt");
  s.clock.advance_ms(3'600'000);
  ASSERT_TRUE(s->open_hub_object(key).value());
  EXPECT_EQ(s->index().find_hub_object(key).value()->last_access, s.clock.now());
}

TEST(Store, ABlobDeletedBehindOurBackIsAMiss) {
  TestStore s;
  const auto key = testutil::put_hub_file(*s, "vanishing", "v.bin");
  std::filesystem::remove(s->layout().blob_path(util::Sha256::of("vanishing")));
  auto found = s->open_hub_object(key);
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);
}

TEST(Store, MustExistRefusesAMissingStore) {
  testutil::TempDir dir;
  auto opened = store::Store::open(dir.path() / "nope", store::OpenMode::must_exist);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("no store at"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "nope"));
}

TEST(Store, RefusesToCreateItselfInADirectoryHoldingOtherThings) {
  testutil::TempDir dir;
  testutil::write_file(dir.path() / "thesis.tex", "precious");
  auto opened = store::Store::open(dir.path(), store::OpenMode::create_if_missing);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message.find("not a hubcache store"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "index.db"));
}

TEST(Store, ReopensWhatItWrote) {
  testutil::TempDir dir;
  std::optional<store::HubObjectKey> written;
  {
    auto s = store::Store::open(dir.path() / "s", store::OpenMode::create_if_missing).value();
    written = testutil::put_hub_file(*s, "persisted", "p.txt");
  }
  const auto& key = *written;
  auto s = store::Store::open(dir.path() / "s", store::OpenMode::must_exist).value();
  auto found = s->open_hub_object(key).value();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->body->size(), 9u);
}

} // namespace
