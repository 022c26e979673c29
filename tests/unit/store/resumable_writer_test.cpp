#include "store/blob_writer.hpp"
#include "testutil.hpp"
#include "util/file.hpp"

#include <gtest/gtest.h>

namespace {

using testutil::TestStore;

const std::string k_body = "the whole body of a large file";
const util::Sha256 k_digest = util::Sha256::of(k_body);

std::filesystem::path partial_path(store::Store& s) {
  return s.layout().tmp_dir() / ("partial-" + k_digest.hex());
}

TEST(ResumableWriter, ADroppedWriterLeavesItsBytesForTheNext) {
  TestStore s;
  {
    auto first = s->begin_resumable_blob(k_digest).value();
    EXPECT_TRUE(first.resumable());
    EXPECT_EQ(first.size(), 0u);
    ASSERT_TRUE(first.write(k_body.substr(0, 10)));
  }  // dropped, as a failed fetch or a killed process leaves it
  ASSERT_TRUE(std::filesystem::exists(partial_path(*s)));
  auto second = s->begin_resumable_blob(k_digest).value();
  EXPECT_EQ(second.size(), 10u);
  ASSERT_TRUE(second.write(k_body.substr(10)));
  auto reader = second.commit({k_body.size(), k_digest});
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(testutil::read_file(s->layout().blob_path(k_digest)), k_body);
  EXPECT_FALSE(std::filesystem::exists(partial_path(*s)));
}

TEST(ResumableWriter, ASecondWriterOfTheSameContentGetsAPlainOne) {
  TestStore s;
  auto first = s->begin_resumable_blob(k_digest).value();
  ASSERT_TRUE(first.write("abc"));
  auto second = s->begin_resumable_blob(k_digest).value();
  EXPECT_FALSE(second.resumable());
  EXPECT_EQ(second.size(), 0u);
  ASSERT_TRUE(second.write(k_body));
  ASSERT_TRUE(second.commit({k_body.size(), k_digest}));
  EXPECT_EQ(first.size(), 3u);  // untouched
}

TEST(ResumableWriter, WrongBytesAreThrownAwayNotKept) {
  TestStore s;
  {
    auto first = s->begin_resumable_blob(k_digest).value();
    ASSERT_TRUE(first.write("not the body at all"));
  }
  auto second = s->begin_resumable_blob(k_digest).value();
  ASSERT_TRUE(second.write("!"));
  auto reader = second.commit({std::nullopt, k_digest});
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code, util::Errc::corrupt);
  EXPECT_FALSE(std::filesystem::exists(partial_path(*s)));
}

TEST(ResumableWriter, RestartEmptiesTheFileAndTheHash) {
  TestStore s;
  auto writer = s->begin_resumable_blob(k_digest).value();
  ASSERT_TRUE(writer.write("stale prefix"));
  ASSERT_TRUE(writer.restart());
  EXPECT_EQ(writer.size(), 0u);
  ASSERT_TRUE(writer.write(k_body));
  ASSERT_TRUE(writer.commit({k_body.size(), k_digest}));
  EXPECT_EQ(testutil::read_file(s->layout().blob_path(k_digest)), k_body);
}

TEST(ResumableWriter, GcLeavesAPartialBeingWrittenAndSweepsAnAbandonedOne) {
  TestStore s;
  {
    auto writer = s->begin_resumable_blob(k_digest).value();
    ASSERT_TRUE(writer.write("abc"));
    EXPECT_EQ(s->blobs().sweep_tmp().value().files, 0u);  // held: in use
  }
  EXPECT_EQ(s->blobs().sweep_tmp().value().files, 1u);
  EXPECT_FALSE(std::filesystem::exists(partial_path(*s)));
}

} // namespace
