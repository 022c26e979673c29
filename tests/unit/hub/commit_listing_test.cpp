#include "hub/commit_listing.hpp"

#include "hub/file_list.hpp"
#include "testutil.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

const std::string k_commit(40, 'a');
const std::string k_oid_a(40, '1');
const std::string k_oid_b(40, '2');
const std::string k_sha256(64, 'f');

std::vector<std::string> paths_of(const hub::CommitListing& listing) {
  std::vector<std::string> out;
  for (const auto& file : listing.files) out.push_back(file.path.str());
  return out;
}

std::vector<std::string> paths_of(const json& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) out.push_back(entry.at("path").get<std::string>());
  return out;
}

// A recursive listing of the root in two pages, as the Hub gives it (xetHash included).
const std::vector<std::string> k_pages = {
    json::array({{{"type", "file"}, {"oid", k_oid_a}, {"size", 4}, {"path", "README.md"}},
                 {{"type", "directory"}, {"oid", std::string(40, 'd')}, {"size", 0}, {"path", "data"}},
                 {{"type", "file"}, {"oid", k_oid_b}, {"size", 4}, {"path", "data/a.csv"}}})
        .dump(),
    json::array({{{"type", "file"},
                  {"oid", std::string(40, '3')},
                  {"size", 20000},
                  {"path", "data/big.bin"},
                  {"lfs", {{"oid", k_sha256}, {"size", 20000}, {"pointerSize", 134}}},
                  {"xetHash", std::string(64, '9')}},
                 {{"type", "file"}, {"oid", std::string(40, '4')}, {"size", 4}, {"path", "data/b.csv"}}})
        .dump(),
};

store::HubObject held(const std::string& path, const std::string& etag, std::uint64_t size) {
  return store::HubObject{{store::RepoType::dataset, testutil::repo("acme/data"),
                           testutil::commit_id(k_commit), testutil::repo_path(path)},
                          util::Sha256{},
                          testutil::etag(etag),
                          size};
}

// --- what a recorded listing names -------------------------------------------------------

TEST(HubCommitListing, TreePagesNameEveryFileWithItsDetails) {
  const auto listing = hub::listing_of_tree_pages(k_pages);
  ASSERT_TRUE(listing);
  EXPECT_EQ(paths_of(*listing),
            (std::vector<std::string>{"README.md", "data/a.csv", "data/b.csv", "data/big.bin"}));
  for (const auto& file : listing->files) EXPECT_TRUE(file.details) << file.path.str();
  const auto& big = listing->files[3].details;
  EXPECT_EQ(big->size, 20000u);
  EXPECT_EQ(big->oid.str(), std::string(40, '3'));
  ASSERT_TRUE(big->lfs_sha256);
  EXPECT_EQ(big->lfs_sha256->str(), k_sha256);
  EXPECT_EQ(listing->directory_oids.at("data").str(), std::string(40, 'd'));
}

TEST(HubCommitListing, AnEntryWithoutSizeOrOidIsListedWithoutDetails) {
  const auto listing = hub::listing_of_tree_pages(
      {R"([{"type":"file","path":"a.txt"},{"type":"file","path":"b.txt","size":1,"oid":"../x"}])"});
  ASSERT_TRUE(listing);
  EXPECT_EQ(paths_of(*listing), (std::vector<std::string>{"a.txt", "b.txt"}));
  EXPECT_FALSE(listing->files[0].details);
  EXPECT_FALSE(listing->files[1].details);  // an oid that is no etag is no oid
}

TEST(HubCommitListing, APageThatIsNoListingNamesNothing) {
  EXPECT_FALSE(hub::listing_of_tree_pages({"{}"}));
  EXPECT_FALSE(hub::listing_of_tree_pages({"not json"}));
  EXPECT_FALSE(hub::listing_of_tree_pages({k_pages[0], "[1]"}));
  EXPECT_FALSE(hub::listing_of_tree_pages({R"([{"type":"file","path":"../etc/passwd"}])"}));
  EXPECT_FALSE(hub::listing_of_tree_pages({std::string(100, '[') + std::string(100, ']')}));
}

TEST(HubCommitListing, RepoInfoSiblingsNameEveryPath) {
  const auto named = hub::listing_of_repo_info(
      json({{"id", "acme/data"},
            {"sha", k_commit},
            {"siblings", {{{"rfilename", "b.txt"}}, {{"rfilename", "a/c.txt"}}}}})
          .dump());
  ASSERT_TRUE(named);
  EXPECT_EQ(named->commit.str(), k_commit);
  EXPECT_EQ(paths_of(named->listing), (std::vector<std::string>{"a/c.txt", "b.txt"}));
  EXPECT_FALSE(named->listing.files[0].details);
}

TEST(HubCommitListing, RepoInfoWithBlobsGivesDetails) {
  const auto named = hub::listing_of_repo_info(
      json({{"sha", k_commit},
            {"siblings",
             {{{"rfilename", "model.bin"},
               {"size", 20000},
               {"blobId", k_oid_a},
               {"lfs", {{"sha256", k_sha256}, {"size", 20000}, {"pointerSize", 134}}}}}}})
          .dump());
  ASSERT_TRUE(named);
  const auto& details = named->listing.files.at(0).details;
  ASSERT_TRUE(details);
  EXPECT_EQ(details->oid.str(), k_oid_a);
  EXPECT_EQ(details->lfs_sha256->str(), k_sha256);
}

TEST(HubCommitListing, RepoInfoWithoutTrustworthySiblingsNamesNothing) {
  EXPECT_FALSE(hub::listing_of_repo_info(json({{"sha", k_commit}}).dump()));  // expand=...
  EXPECT_FALSE(hub::listing_of_repo_info(json({{"sha", k_commit}, {"siblings", json::array()}}).dump()));
  EXPECT_FALSE(hub::listing_of_repo_info(json({{"siblings", {{{"rfilename", "a"}}}}}).dump()));
  EXPECT_FALSE(hub::listing_of_repo_info(
      json({{"sha", "main"}, {"siblings", {{{"rfilename", "a"}}}}}).dump()));
  json many = json::array();
  for (int i = 0; i < 50'001; ++i) many.push_back({{"rfilename", "f" + std::to_string(i)}});
  EXPECT_FALSE(hub::listing_of_repo_info(json({{"sha", k_commit}, {"siblings", many}}).dump()));
}

TEST(HubCommitListing, TheFirstPageIsAnyPageWithoutItsCursor) {
  EXPECT_EQ(hub::first_page_query("recursive=True&expand=False&cursor=ZXlK"), "recursive=True&expand=False");
  EXPECT_EQ(hub::first_page_query("cursor=abc&recursive=1"), "recursive=1");
  EXPECT_EQ(hub::first_page_query("recursive=true"), "recursive=true");
  EXPECT_EQ(hub::first_page_query("cursorx=1&cursor"), "cursorx=1");
  EXPECT_EQ(hub::first_page_query(""), "");
}

// --- details from held files ------------------------------------------------------------

TEST(HubCommitListing, HeldFilesGiveDetailsButAddNoFiles) {
  hub::CommitListing listing;
  listing.files = {{testutil::repo_path("a.txt"), std::nullopt},
                   {testutil::repo_path("b.txt"), std::nullopt}};
  hub::add_details(listing, {held("b.txt", k_oid_b, 7), held("not-listed.txt", k_oid_a, 1)});
  EXPECT_EQ(paths_of(listing), (std::vector<std::string>{"a.txt", "b.txt"}));
  EXPECT_FALSE(listing.files[0].details);
  ASSERT_TRUE(listing.files[1].details);
  EXPECT_EQ(listing.files[1].details->size, 7u);
  EXPECT_EQ(listing.files[1].details->oid.str(), k_oid_b);
}

// --- answers made from a list -----------------------------------------------------------

TEST(HubCommitListing, AnAnswerNeedingAFileWithoutDetailsIsNone) {
  auto partial = *hub::listing_of_tree_pages(k_pages);
  partial.files.push_back({testutil::repo_path("other/x.txt"), std::nullopt});
  const auto commit = testutil::commit_id(k_commit);
  // The folder whose files are all known is answered; one showing the unknown file is not.
  const auto data = hub::tree_json("data", partial, false, false, commit);
  ASSERT_TRUE(data);
  EXPECT_EQ(paths_of(json::parse(*data)),
            (std::vector<std::string>{"data/a.csv", "data/b.csv", "data/big.bin"}));
  EXPECT_FALSE(hub::tree_json("other", partial, false, false, commit));
  EXPECT_FALSE(hub::tree_json("", partial, true, false, commit));
  // The root one level down shows "other" as a folder only.
  EXPECT_TRUE(hub::tree_json("", partial, false, false, commit));
  // Siblings need only the paths; blobs=true needs every file's details.
  EXPECT_TRUE(hub::repo_info_json(store::RepoType::dataset, testutil::repo("acme/data"), commit,
                                  partial, ""));
  EXPECT_FALSE(hub::repo_info_json(store::RepoType::dataset, testutil::repo("acme/data"), commit,
                                   partial, "blobs=true"));
  hub::PathsInfoQuery known{{"data/a.csv", "other"}, false};
  hub::PathsInfoQuery unknown{{"other/x.txt"}, false};
  EXPECT_TRUE(hub::paths_info_json(known, partial, commit));
  EXPECT_FALSE(hub::paths_info_json(unknown, partial, commit));
}

TEST(HubCommitListing, RecordedDirectoryOidsAndLastCommitAreKept) {
  auto pages = k_pages;
  pages.push_back(json::array({{{"type", "file"},
                                {"oid", k_oid_a},
                                {"size", 1},
                                {"path", "z.txt"},
                                {"lastCommit", {{"id", std::string(40, 'c')}, {"title", "Upload"}}}}})
                      .dump());
  const auto listing = hub::listing_of_tree_pages(pages);
  ASSERT_TRUE(listing);
  const auto commit = testutil::commit_id(k_commit);
  const auto root = json::parse(*hub::tree_json("", *listing, false, true, commit));
  for (const auto& entry : root) {
    if (entry["path"] == "data") {
      EXPECT_EQ(entry["oid"], std::string(40, 'd'));
    } else if (entry["path"] == "z.txt") {
      EXPECT_EQ(entry["lastCommit"]["title"], "Upload");
    } else if (entry["path"] == "README.md") {
      EXPECT_EQ(entry["lastCommit"]["id"], k_commit);  // none recorded: the commit's
    }
  }
  const auto plain = json::parse(*hub::tree_json("", *listing, false, false, commit));
  for (const auto& entry : plain) EXPECT_FALSE(entry.contains("lastCommit"));
}

// --- the record -------------------------------------------------------------------------

TEST(HubCommitListing, RecordRoundTripsPerScope) {
  testutil::TestStore store;
  const auto repo = testutil::repo("acme/data");
  const auto commit = testutil::commit_id(k_commit);
  auto listing = *hub::listing_of_tree_pages(k_pages);
  listing.files.push_back({testutil::repo_path("zz.txt"), std::nullopt});
  ASSERT_TRUE(hub::put_commit_listing(*store, store::RepoType::dataset, repo, commit, "", listing));
  auto found = hub::find_commit_listing(*store, store::RepoType::dataset, repo, commit, "");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(hub::listing_json(**found), hub::listing_json(listing));
  // Another credential's scope, another repo type, another commit: nothing known.
  const std::string scope(32, 'e');
  EXPECT_FALSE(*hub::find_commit_listing(*store, store::RepoType::dataset, repo, commit, scope));
  EXPECT_FALSE(*hub::find_commit_listing(*store, store::RepoType::model, repo, commit, ""));
  EXPECT_FALSE(*hub::find_commit_listing(*store, store::RepoType::dataset, repo,
                                         testutil::commit_id(std::string(40, 'b')), ""));
}

TEST(HubCommitListing, PreloadsPathListStandsInWithoutDetails) {
  testutil::TestStore store;
  const auto repo = testutil::repo("acme/data");
  const auto commit = testutil::commit_id(k_commit);
  ASSERT_TRUE(hub::put_file_list(*store, store::RepoType::dataset, repo, commit, "",
                                 {testutil::repo_path("b.txt"), testutil::repo_path("a/c.txt")}));
  auto found = hub::find_commit_listing(*store, store::RepoType::dataset, repo, commit, "");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ(paths_of(**found), (std::vector<std::string>{"a/c.txt", "b.txt"}));
  for (const auto& file : (*found)->files) EXPECT_FALSE(file.details);
}

} // namespace
