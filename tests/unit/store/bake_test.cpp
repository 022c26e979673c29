#include "store/bake.hpp"
#include "testutil.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using testutil::TestStore;

void fill(store::Store& s) {
  testutil::put_hub_file(s, "{\"a\":1}", "config.json", "acme/tiny");
  testutil::put_hub_file(s, "weights", "model.bin", "acme/tiny");
  testutil::put_hub_file(s, "other", "x.txt", "acme/other");
  testutil::put_exchange(s, "an image", "https://example.org/cat.jpg");
  ASSERT_TRUE(s.put(store::Ref{store::RepoType::model, testutil::repo("acme/tiny"), testutil::revision("main"),
                               testutil::commit_id(std::string(40, 'a')), 0, {}}));
}

struct Member {
  std::string path;
  int mode = 0;
  std::int64_t mtime = -1;
  std::int64_t uid = -1;
};

std::vector<Member> members(const std::filesystem::path& archive_path) {
  std::vector<Member> out;
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, archive_path.c_str(), 65536), ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
    out.push_back({archive_entry_pathname(entry), static_cast<int>(archive_entry_perm(entry)),
                   archive_entry_mtime(entry), archive_entry_uid(entry)});
  }
  archive_read_free(a);
  return out;
}

TEST(Bake, SameContentSameBytesWhateverWhenItWasRecorded) {
  TestStore first, second;
  fill(*first);
  second.clock.advance_ms(86'400'000);  // recorded a day later
  fill(*second);
  testutil::TempDir out;
  const auto a = out.path() / "a.tar.zst", b = out.path() / "b.tar.zst";
  auto baked = store::bake(*first, a, {});
  ASSERT_TRUE(baked) << baked.error().message;
  ASSERT_TRUE(store::bake(*second, b, {}));
  EXPECT_EQ(testutil::read_file(a), testutil::read_file(b));
  EXPECT_EQ(baked->hub_objects, 3u);
  EXPECT_EQ(baked->exchanges, 1u);
  EXPECT_EQ(baked->refs, 1u);
  EXPECT_EQ(baked->archive_sha256, util::Sha256::of(testutil::read_file(a)));
  EXPECT_FALSE(std::filesystem::exists(out.path() / "a.tar.zst.tmp"));
}

TEST(Bake, SortedEntriesFixedOwnerModesAndMtime) {
  TestStore s;
  fill(*s);
  testutil::TempDir out;
  store::BakeOptions options;
  options.mtime = 1'234'567;
  ASSERT_TRUE(store::bake(*s, out.path() / "a.tar.zst", options));
  const auto listed = members(out.path() / "a.tar.zst");
  ASSERT_FALSE(listed.empty());
  for (std::size_t i = 1; i < listed.size(); ++i) EXPECT_LT(listed[i - 1].path, listed[i].path);
  EXPECT_EQ(listed.back().path, "index.db");
  for (const auto& m : listed) {
    EXPECT_EQ(m.mtime, 1'234'567) << m.path;
    EXPECT_EQ(m.uid, 0) << m.path;
    EXPECT_EQ(m.mode, m.path.ends_with("/") ? 0755 : 0644) << m.path;
  }
}

TEST(Bake, RepoFilterLeavesOutOtherReposAndUrls) {
  TestStore s;
  fill(*s);
  testutil::TempDir out;
  store::BakeOptions options;
  options.repos = {{store::RepoType::model, testutil::repo("acme/tiny")}};
  auto baked = store::bake(*s, out.path() / "a.tar.zst", options);
  ASSERT_TRUE(baked);
  EXPECT_EQ(baked->hub_objects, 2u);
  EXPECT_EQ(baked->exchanges, 0u);
  EXPECT_EQ(baked->blobs, 2u);
}

// A repo's commit lists (hub-files, hub-listing: hub/file_list.hpp, hub/commit_listing.hpp)
// travel with it: without them, replay of the baked store could answer fewer listings.
TEST(Bake, RepoFilterKeepsTheReposCommitLists) {
  TestStore s;
  fill(*s);
  const std::string commit(40, 'a');
  for (const std::string& key : {"hub-files model acme/tiny " + commit,
                                "hub-listing model acme/tiny " + commit,
                                "hub-listing model acme/other " + commit}) {
    auto blob = testutil::write_blob(*s, "[]");
    store::Exchange exchange;
    exchange.key = key;
    exchange.method = "GET";
    exchange.url = key;
    exchange.status = 200;
    ASSERT_TRUE(s->put(&blob, exchange));
  }
  testutil::TempDir out;
  store::BakeOptions options;
  options.repos = {{store::RepoType::model, testutil::repo("acme/tiny")}};
  auto baked = store::bake(*s, out.path() / "a.tar.zst", options);
  ASSERT_TRUE(baked);
  EXPECT_EQ(baked->exchanges, 2u);
}

TEST(Import, MergesAndVerifiesAndIsIdempotent) {
  TestStore source, target;
  fill(*source);
  testutil::TempDir out;
  ASSERT_TRUE(store::bake(*source, out.path() / "a.tar.zst", {}));
  auto imported = store::import_bake(*target, out.path() / "a.tar.zst");
  ASSERT_TRUE(imported) << imported.error().message;
  EXPECT_TRUE(imported->errors.empty());
  EXPECT_EQ(imported->hub_objects, 3u);
  EXPECT_EQ(imported->blobs, 4u);
  auto again = store::import_bake(*target, out.path() / "a.tar.zst");
  ASSERT_TRUE(again);
  EXPECT_EQ(target->index().counts()->hub_objects, 3u);
  auto found = target->open_hub_object(
      {store::RepoType::model, testutil::repo("acme/tiny"), testutil::commit_id(std::string(40, 'a')),
       testutil::repo_path("config.json"), {}});
  ASSERT_TRUE(found && *found);
}

TEST(Import, GarbageIsAnErrorAndIndexesNothing) {
  TestStore target;
  testutil::TempDir out;
  testutil::write_file(out.path() / "g.tar.zst", "this is not an archive");
  auto imported = store::import_bake(*target, out.path() / "g.tar.zst");
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().code, util::Errc::corrupt);
  EXPECT_EQ(target->index().counts()->hub_objects, 0u);
}

} // namespace
