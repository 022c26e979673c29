#include "store/blob_writer.hpp"
#include "store/write_behind.hpp"
#include "testutil.hpp"
#include "util/file.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <random>
#include <sys/stat.h>

namespace {

using testutil::TestStore;

// Bytes no two offsets of which repeat in step with the block size.
std::string body_of(std::size_t size, unsigned seed = 17) {
  std::mt19937 rng(seed);
  std::string body(size, '\0');
  for (auto& c : body) c = static_cast<char>(rng());
  return body;
}

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Writes `body` through `writer` in pieces of `step` bytes (an odd size: pieces straddle
// the write-behind's blocks).
void write_in_pieces(store::BlobWriter& writer, std::string_view body, std::size_t step = 100'003) {
  for (std::size_t at = 0; at < body.size(); at += step) {
    ASSERT_TRUE(writer.write(body.substr(at, step)));
  }
}

// Issue 17: the thread behind hashes every byte given, in order, after those its hasher held,
// also when the writer outruns it by more than its queue holds.
TEST(WriteBehind, Issue17HashesEveryByteInOrderAfterTheHashersOwn) {
  const std::string body = body_of(store::WriteBehind::k_block * (store::WriteBehind::k_queue + 3) + 12'345);
  const std::size_t prefix = 1'000;
  util::Sha256Hasher hasher;
  hasher.update(bytes_of(std::string_view(body).substr(0, prefix)));
  testutil::TempDir file;
  util::UniqueFd fd(::open((file.path() / "f").c_str(), O_RDWR | O_CREAT, 0644));
  ASSERT_TRUE(fd);
  auto behind = store::WriteBehind::start(fd.get(), hasher, prefix);
  ASSERT_TRUE(behind);
  for (std::size_t at = prefix; at < body.size(); at += 77'777) {
    behind->written(bytes_of(std::string_view(body).substr(at, 77'777)));
  }
  EXPECT_EQ(behind->finish(), util::Sha256::of(body));
}

TEST(WriteBehind, Issue17DroppedWithBytesQueuedItStopsCleanly) {
  const std::string body = body_of(store::WriteBehind::k_block * 3);
  util::Sha256Hasher hasher;
  testutil::TempDir file;
  util::UniqueFd fd(::open((file.path() / "f").c_str(), O_RDWR | O_CREAT, 0644));
  auto behind = store::WriteBehind::start(fd.get(), hasher, 0);
  ASSERT_TRUE(behind);
  behind->written(bytes_of(body));
  behind.reset();  // joins; nothing hangs nor touches freed memory (ASan)
  SUCCEED();
}

// Issue 17: a body past BlobWriter::k_behind_after (hashed behind the writer) is named by
// its exact digest, and a body that is not the one expected is still refused.
TEST(BlobWriter, Issue17ALargeBodyIsNamedByItsExactDigest) {
  TestStore s;
  const std::string body = body_of(store::BlobWriter::k_behind_after + (3u << 20) + 7);
  auto writer = s->begin_blob().value();
  write_in_pieces(writer, body);
  auto reader = writer.commit({body.size(), util::Sha256::of(body)});
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(reader->digest(), util::Sha256::of(body));
  EXPECT_EQ(testutil::read_file(s->layout().blob_path(reader->digest())), body);
}

TEST(BlobWriter, Issue17ALargeBodyWithOneWrongByteIsRefused) {
  TestStore s;
  const std::string body = body_of(store::BlobWriter::k_behind_after + (2u << 20));
  std::string wrong = body;
  wrong[wrong.size() - 100] ^= 1;
  auto writer = s->begin_blob().value();
  write_in_pieces(writer, wrong);
  auto reader = writer.commit({body.size(), util::Sha256::of(body)});
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code, util::Errc::corrupt);
  EXPECT_FALSE(std::filesystem::exists(s->layout().blob_path(util::Sha256::of(wrong))));
}

// A resumable writer dropped while its thread behind runs keeps the bytes it wrote, and the
// next one goes on from them to the right digest.
TEST(ResumableWriter, Issue17ALargePartialDroppedMidwayResumesToTheRightDigest) {
  TestStore s;
  const std::string body = body_of(store::BlobWriter::k_behind_after * 2 + 4'321);
  const auto digest = util::Sha256::of(body);
  const std::size_t cut = store::BlobWriter::k_behind_after + 999'999;
  {
    auto first = s->begin_resumable_blob(digest).value();
    write_in_pieces(first, std::string_view(body).substr(0, cut));
  }
  auto second = s->begin_resumable_blob(digest).value();
  ASSERT_EQ(second.size(), cut);
  write_in_pieces(second, std::string_view(body).substr(cut));
  auto reader = second.commit({body.size(), digest});
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(testutil::read_file(s->layout().blob_path(digest)), body);
}

TEST(ResumableWriter, Issue17RestartAfterALargePrefixHashesOnlyTheNewBody) {
  TestStore s;
  const std::string body = body_of(store::BlobWriter::k_behind_after + 55'555, 3);
  const auto digest = util::Sha256::of(body);
  auto writer = s->begin_resumable_blob(digest).value();
  write_in_pieces(writer, body_of(store::BlobWriter::k_behind_after + 1'000, 4));
  ASSERT_TRUE(writer.restart());
  write_in_pieces(writer, body);
  auto reader = writer.commit({body.size(), digest});
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(testutil::read_file(s->layout().blob_path(digest)), body);
}

std::uint64_t allocated_bytes(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0);
  return static_cast<std::uint64_t>(info.st_blocks) * 512;
}

// Issue 17: blocks allocated ahead of a large body never show as bytes (the partial file's
// size is what was written, so it resumes from there), and a dropped writer gives them back.
TEST(ResumableWriter, Issue17BlocksAllocatedAheadAreGivenBackAndTheBodyResumes) {
  TestStore s;
  const std::string body = body_of(store::BlobWriter::k_behind_after * 3, 5);
  const auto digest = util::Sha256::of(body);
  const auto partial = s->layout().tmp_dir() / ("partial-" + digest.hex());
  const std::size_t cut = store::BlobWriter::k_behind_after + 12'345;
  {
    auto first = s->begin_resumable_blob(digest).value();
    first.expect_total(body.size());
    write_in_pieces(first, std::string_view(body).substr(0, cut));
    EXPECT_EQ(std::filesystem::file_size(partial), cut);
    EXPECT_GE(allocated_bytes(partial), body.size());  // allocated ahead, up to the total
  }
  EXPECT_EQ(std::filesystem::file_size(partial), cut);
  EXPECT_LT(allocated_bytes(partial), cut + (1u << 20));
  auto second = s->begin_resumable_blob(digest).value();
  ASSERT_EQ(second.size(), cut);
  second.expect_total(body.size());
  write_in_pieces(second, std::string_view(body).substr(cut));
  auto reader = second.commit({body.size(), digest});
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(testutil::read_file(s->layout().blob_path(digest)), body);
}

// A body that ends short of the total it announced is refused, and keeps nothing.
TEST(BlobWriter, Issue17ABodyShorterThanAnnouncedIsRefused) {
  TestStore s;
  const std::string body = body_of(store::BlobWriter::k_behind_after + 1'000, 6);
  auto writer = s->begin_blob().value();
  writer.expect_total(body.size() + 5'000);
  write_in_pieces(writer, body);
  auto reader = writer.commit({body.size() + 5'000, std::nullopt});
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code, util::Errc::corrupt);
}

// A store with a size bound counts bytes: no blocks are held past them.
TEST(BoundedStore, Issue17NoBlocksAreAllocatedAheadOfTheBytes) {
  TestStore s;
  ASSERT_TRUE(s->set_bound(1ull << 40));
  const std::string body = body_of(store::BlobWriter::k_behind_after + 1'000, 8);
  auto writer = s->begin_blob().value();
  writer.expect_total(body.size() + (64u << 20));
  ASSERT_TRUE(writer.write(body));
  EXPECT_LT(allocated_bytes(writer.tmp_path()), body.size() + (1u << 20));
}

} // namespace
