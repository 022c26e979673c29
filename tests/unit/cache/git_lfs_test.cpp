#include "cache/git_lfs.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace {

TEST(GitLfs, TellsItsMediaType) {
  EXPECT_TRUE(cache::is_git_lfs_json({{"Content-Type", "application/vnd.git-lfs+json"}}));
  EXPECT_TRUE(cache::is_git_lfs_json({{"content-type", " application/vnd.git-lfs+json; charset=utf-8"}}));
  EXPECT_FALSE(cache::is_git_lfs_json({{"Content-Type", "application/json"}}));
  EXPECT_FALSE(cache::is_git_lfs_json({}));
}

TEST(GitLfs, ABatchAnswerLosesItsExpiryAndNothingElse) {
  // Issue 15: git-lfs refuses an action past expires_at, so a recording a day old failed.
  const std::string answer = R"({"transfer":"basic","objects":[
    {"oid":"aa","size":3,"actions":{"download":{"href":"http://cdn/x?Expires=1","expires_at":"2026-01-01T00:00:00Z","header":{"A":"b"}}}},
    {"oid":"bb","size":4,"actions":{"download":{"href":"http://cdn/y","expires_in":3600}}},
    {"oid":"cc","size":5,"error":{"code":404,"message":"Object does not exist"}}]})";
  const auto served = cache::without_lfs_expiry(answer);
  ASSERT_TRUE(served);
  auto expected = nlohmann::json::parse(answer);
  expected["objects"][0]["actions"]["download"].erase("expires_at");
  expected["objects"][1]["actions"]["download"].erase("expires_in");
  EXPECT_EQ(nlohmann::json::parse(*served), expected);
}

TEST(GitLfs, AnythingElseIsServedAsStored) {
  EXPECT_FALSE(cache::without_lfs_expiry(R"({"objects":[{"oid":"aa","actions":{"download":{"href":"h"}}}]})"));
  EXPECT_FALSE(cache::without_lfs_expiry("not json"));
  EXPECT_FALSE(cache::without_lfs_expiry(R"({"objects":"x"})"));
  EXPECT_FALSE(cache::without_lfs_expiry(R"([1,2])"));
  EXPECT_FALSE(cache::without_lfs_expiry(std::string(10000, '[') + std::string(10000, ']')));
}

} // namespace
