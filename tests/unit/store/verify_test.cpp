#include "store/store.hpp"
#include "store/verify.hpp"
#include "testutil.hpp"

#include <gtest/gtest.h>

namespace {

using testutil::TestStore;

TEST(Verify, ACleanStoreHasNoProblems) {
  TestStore s;
  testutil::put_hub_file(*s, "a", "a");
  testutil::put_exchange(*s, "b", "https://x/b");
  std::uint64_t total = 0, advanced = 0;
  auto report = store::verify(*s, {[&](std::uint64_t t) { total = t; },
                                   [&](std::uint64_t n) { advanced += n; }})
                    .value();
  EXPECT_EQ(report.blobs_checked, 2u);
  EXPECT_EQ(report.bytes_checked, 2u);
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(total, 2u);
  EXPECT_EQ(advanced, 2u);
}

TEST(Verify, QuarantinesACorruptBlobAndRemovesItsEntries) {
  TestStore s;
  const auto key = testutil::put_hub_file(*s, "the real bytes", "model.bin");
  testutil::put_exchange(*s, "the real bytes", "https://x/model.bin");
  testutil::put_hub_file(*s, "untouched", "other.bin");
  const auto path = s->layout().blob_path(util::Sha256::of("the real bytes"));
  testutil::write_file(path, "the rEal bytes"); // one flipped byte, same size

  auto report = store::verify(*s).value();
  ASSERT_EQ(report.problems.size(), 1u);
  const auto& problem = report.problems[0];
  EXPECT_EQ(problem.kind, store::VerifyProblem::Kind::corrupt);
  EXPECT_EQ(problem.path, path.string());
  EXPECT_EQ(problem.entries_removed, 2u);
  EXPECT_NE(problem.detail.find("hashes to " + util::Sha256::of("the rEal bytes").hex()),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(testutil::read_file(problem.quarantined_to), "the rEal bytes");
  EXPECT_FALSE(s->index().find_hub_object(key).value());
  EXPECT_FALSE(s->index().find_exchange("GET https://x/model.bin").value());

  EXPECT_TRUE(store::verify(*s).value().problems.empty());
}

TEST(Verify, ReportsATruncatedBlob) {
  TestStore s;
  testutil::put_hub_file(*s, "0123456789", "digits");
  testutil::write_file(s->layout().blob_path(util::Sha256::of("0123456789")), "01234");
  auto report = store::verify(*s).value();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].kind, store::VerifyProblem::Kind::corrupt);
}

TEST(Verify, ReportsAMissingBlobAndDropsItsEntries) {
  TestStore s;
  const auto key = testutil::put_hub_file(*s, "gone", "gone.txt");
  std::filesystem::remove(s->layout().blob_path(util::Sha256::of("gone")));
  auto report = store::verify(*s).value();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].kind, store::VerifyProblem::Kind::missing);
  EXPECT_EQ(report.problems[0].entries_removed, 1u);
  EXPECT_FALSE(s->index().find_hub_object(key).value());
}

TEST(Verify, CountsUnindexedBlobsWithoutCallingThemProblems) {
  TestStore s;
  { auto orphan = testutil::write_blob(*s, "orphan"); }
  testutil::write_file(s->layout().blobs_dir() / "README", "?");
  auto report = store::verify(*s).value();
  EXPECT_EQ(report.orphan_files, 1u);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_EQ(report.problems[0].kind, store::VerifyProblem::Kind::stray);
}

} // namespace
