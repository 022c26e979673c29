#include "store/blob_store.hpp"
#include "testutil.hpp"
#include "util/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace {

using testutil::TestStore;

util::Result<void> nothing() {
  return {};
}

TEST(BlobStore, OpenOfAMissingBlobIsAMissNotAnError) {
  TestStore s;
  auto opened = s->blobs().open(util::Sha256::of("never written"));
  ASSERT_TRUE(opened);
  EXPECT_FALSE(*opened);
}

TEST(BlobStore, OpenGivesADescriptorAndTheSize) {
  TestStore s;
  const auto digest = testutil::write_blob(*s, "0123456789").digest();
  auto opened = s->blobs().open(digest).value();
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->size(), 10u);
  std::uint8_t buffer[4];
  EXPECT_EQ(opened->read_at(buffer, 6).value(), 4u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), 4), "6789");
  EXPECT_EQ(::lseek(opened->fd(), 0, SEEK_END), 10);
}

TEST(BlobStore, RemoveSkipsAPinnedBlob) {
  TestStore s;
  const auto digest = testutil::write_blob(*s, "in use").digest();
  {
    auto reader = s->blobs().open(digest).value();
    ASSERT_TRUE(reader);
    bool called = false;
    auto outcome = s->blobs().remove(digest, [&] {
      called = true;
      return nothing();
    });
    EXPECT_EQ(outcome.value(), store::RemoveOutcome::in_use);
    EXPECT_FALSE(called);
    EXPECT_TRUE(std::filesystem::exists(s->layout().blob_path(digest)));
  }
  EXPECT_EQ(s->blobs().remove(digest, nothing).value(), store::RemoveOutcome::removed);
  EXPECT_FALSE(std::filesystem::exists(s->layout().blob_path(digest)));
  EXPECT_EQ(s->blobs().remove(digest, nothing).value(), store::RemoveOutcome::absent);
}

TEST(BlobStore, FailedBeforeUnlinkKeepsTheBlob) {
  TestStore s;
  const auto digest = testutil::write_blob(*s, "keep me").digest();
  auto outcome = s->blobs().remove(
      digest, [] { return util::Result<void>(util::fail(util::Errc::io, "index said no")); });
  ASSERT_FALSE(outcome);
  EXPECT_TRUE(std::filesystem::exists(s->layout().blob_path(digest)));
}

TEST(BlobStore, SweepRemovesDeadTempFilesAndSparesLiveWriters) {
  TestStore s;
  // A temp file nobody holds: its writer died.
  testutil::write_file(s->layout().tmp_dir() / "123-0-dead.part", std::string(100, 'd'));
  auto live = s->begin_blob().value();
  ASSERT_TRUE(live.write("still writing"));

  auto sweep = s->blobs().sweep_tmp().value();
  EXPECT_EQ(sweep.files, 1u);
  EXPECT_EQ(sweep.bytes, 100u);
  EXPECT_TRUE(std::filesystem::exists(live.tmp_path()));
  EXPECT_TRUE(live.commit());
}

TEST(BlobStore, QuarantineMovesTheFileAside) {
  TestStore s;
  const auto digest = testutil::write_blob(*s, "bad").digest();
  auto moved = s->blobs().quarantine(digest, 42).value();
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->parent_path(), s->layout().quarantine_dir());
  EXPECT_EQ(testutil::read_file(*moved), "bad");
  EXPECT_FALSE(std::filesystem::exists(s->layout().blob_path(digest)));
}

TEST(BlobStore, ListsBlobFilesAndReportsStrays) {
  TestStore s;
  const auto a = testutil::write_blob(*s, "a").digest();
  const auto b = testutil::write_blob(*s, "bb").digest();
  testutil::write_file(s->layout().blob_path(a).parent_path() / "not-a-blob", "?");
  std::vector<util::Sha256> seen;
  std::vector<std::filesystem::path> strays;
  ASSERT_TRUE(s->blobs().for_each_file(
      [&](const store::BlobStore::FileInfo& f) {
        seen.push_back(f.digest);
        EXPECT_EQ(f.size, f.digest == a ? 1u : 2u);
        return util::Result<void>{};
      },
      [&](const std::filesystem::path& p) { strays.push_back(p); }));
  std::sort(seen.begin(), seen.end());
  std::vector<util::Sha256> expected{a, b};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);
  ASSERT_EQ(strays.size(), 1u);
  EXPECT_EQ(strays[0].filename(), "not-a-blob");
}

} // namespace
