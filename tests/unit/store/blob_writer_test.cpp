#include "store/blob_writer.hpp"
#include "testutil.hpp"
#include "util/file.hpp"

#include <csignal>
#include <sys/resource.h>

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace {

using testutil::TestStore;

std::uint64_t tmp_files(store::Store& store) {
  return util::dir_usage(store.layout().tmp_dir()).value().files;
}

TEST(BlobWriter, CommitPlacesTheBlobUnderItsDigest) {
  TestStore s;
  auto writer = s->begin_blob().value();
  ASSERT_TRUE(writer.write("hello "));
  ASSERT_TRUE(writer.write("world"));
  EXPECT_EQ(tmp_files(*s), 1u);
  auto reader = writer.commit({11, util::Sha256::of("hello world")});
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(reader->digest(), util::Sha256::of("hello world"));
  EXPECT_EQ(reader->size(), 11u);
  EXPECT_EQ(testutil::read_file(s->layout().blob_path(reader->digest())), "hello world");
  EXPECT_EQ(tmp_files(*s), 0u);
}

// Issue 14: a placed blob is read-only, so nothing that reaches it by a hard link (an
// export, a tool) edits the store's content in place.
TEST(BlobWriter, Issue14APlacedBlobIsReadOnly) {
  TestStore s;
  auto writer = s->begin_blob().value();
  ASSERT_TRUE(writer.write("content"));
  auto reader = writer.commit();
  ASSERT_TRUE(reader);
  struct stat info {};
  ASSERT_EQ(::stat(s->layout().blob_path(reader->digest()).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0444u);
}

TEST(BlobWriter, SizeMismatchIsRefusedAndNothingIsKept) {
  TestStore s;
  auto writer = s->begin_blob().value();
  ASSERT_TRUE(writer.write("short"));
  auto reader = writer.commit({100, std::nullopt});
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code, util::Errc::corrupt);
  EXPECT_NE(reader.error().message.find("expected 100 bytes, got 5"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(s->layout().blob_path(util::Sha256::of("short"))));
  EXPECT_EQ(tmp_files(*s), 0u);
}

TEST(BlobWriter, HashMismatchIsRefusedAndNothingIsKept) {
  TestStore s;
  auto writer = s->begin_blob().value();
  ASSERT_TRUE(writer.write("content"));
  auto reader = writer.commit({std::nullopt, util::Sha256::of("other content")});
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code, util::Errc::corrupt);
  EXPECT_FALSE(std::filesystem::exists(s->layout().blob_path(util::Sha256::of("content"))));
  EXPECT_EQ(tmp_files(*s), 0u);
}

TEST(BlobWriter, WritingAnExistingBlobKeepsOneCopy) {
  TestStore s;
  auto first = testutil::write_blob(*s, "same bytes");
  auto second = testutil::write_blob(*s, "same bytes");
  EXPECT_EQ(first.digest(), second.digest());
  EXPECT_EQ(util::dir_usage(s->layout().blob_path(first.digest()).parent_path()).value().files, 1u);
  EXPECT_EQ(tmp_files(*s), 0u);
}

TEST(BlobWriter, DroppedWriterLeavesNothingBehind) {
  TestStore s;
  {
    auto writer = s->begin_blob().value();
    ASSERT_TRUE(writer.write("abandoned"));
  }
  EXPECT_EQ(tmp_files(*s), 0u);
  EXPECT_FALSE(std::filesystem::exists(s->layout().blob_path(util::Sha256::of("abandoned"))));
}

TEST(BlobWriter, SpentWriterRefusesMoreBytes) {
  TestStore s;
  auto writer = s->begin_blob().value();
  ASSERT_TRUE(writer.commit());
  EXPECT_FALSE(writer.write("late"));
  EXPECT_FALSE(writer.commit());
}

// A write the file system refuses (here: over RLIMIT_FSIZE, as a full disk would) is an
// Errc::io error and leaves no blob and no temp file.
TEST(BlobWriter, FailedWriteReportsTheErrorAndKeepsNothing) {
  TestStore s;
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);

  auto writer = s->begin_blob().value();
  const std::string chunk(3000, 'x');
  ASSERT_TRUE(writer.write(chunk));
  auto failed = writer.write(chunk);

  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, util::Errc::io);
  EXPECT_NE(failed.error().message.find("write temp blob"), std::string::npos);
  writer.abort();
  EXPECT_EQ(tmp_files(*s), 0u);
}

} // namespace
