#include "store/gc.hpp"
#include "store/store.hpp"
#include "testutil.hpp"
#include "util/file.hpp"

#include <gtest/gtest.h>

namespace {

using testutil::TestStore;

TEST(Gc, RemovesBlobsNoEntryNamesAnyMore) {
  TestStore s;
  testutil::put_hub_file(*s, "version 1", "config.json");
  testutil::put_hub_file(*s, "version 2", "config.json"); // same key: replaces the entry
  auto report = store::collect_garbage(*s).value();
  EXPECT_EQ(report.unreferenced_blobs, 1u);
  EXPECT_EQ(report.freed_bytes, 9u);
  EXPECT_FALSE(std::filesystem::exists(s->layout().blob_path(util::Sha256::of("version 1"))));
  EXPECT_TRUE(std::filesystem::exists(s->layout().blob_path(util::Sha256::of("version 2"))));
}

TEST(Gc, RemovesBlobFilesTheIndexDoesNotKnow) {
  TestStore s;
  { auto orphan = testutil::write_blob(*s, "writer died before indexing"); }
  testutil::put_exchange(*s, "indexed", "https://x/indexed");
  auto report = store::collect_garbage(*s).value();
  EXPECT_EQ(report.orphan_files, 1u);
  EXPECT_FALSE(std::filesystem::exists(
      s->layout().blob_path(util::Sha256::of("writer died before indexing"))));
  EXPECT_TRUE(std::filesystem::exists(s->layout().blob_path(util::Sha256::of("indexed"))));
}

TEST(Gc, LeavesPinnedOrphansAndLiveTempFilesAlone) {
  TestStore s;
  auto pinned = testutil::write_blob(*s, "about to be indexed");
  auto writer = s->begin_blob().value();
  ASSERT_TRUE(writer.write("half"));
  testutil::write_file(s->layout().tmp_dir() / "1-1-stale.part", "stale");

  auto report = store::collect_garbage(*s).value();
  EXPECT_EQ(report.tmp_files, 1u);
  EXPECT_EQ(report.orphan_files, 0u);
  EXPECT_EQ(report.skipped_in_use, 1u);
  EXPECT_TRUE(std::filesystem::exists(s->layout().blob_path(pinned.digest())));
  EXPECT_TRUE(std::filesystem::exists(writer.tmp_path()));
  EXPECT_FALSE(std::filesystem::exists(s->layout().tmp_dir() / "1-1-stale.part"));
}

} // namespace
