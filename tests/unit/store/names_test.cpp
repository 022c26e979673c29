#include "store/names.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using store::CommitId;
using store::Etag;
using store::RepoId;
using store::RepoPath;
using store::Revision;

const std::string k_sha = "0123456789abcdef0123456789abcdef01234567";

TEST(Names, CommitIsFortyLowerCaseHexDigits) {
  EXPECT_TRUE(CommitId::parse(k_sha));
  EXPECT_FALSE(CommitId::parse(k_sha.substr(1)));
  EXPECT_FALSE(CommitId::parse(k_sha + "0"));
  EXPECT_FALSE(CommitId::parse(std::string(40, 'A')));
  EXPECT_FALSE(CommitId::parse("../" + k_sha.substr(3)));
  EXPECT_FALSE(CommitId::parse(""));
}

TEST(Names, RepoIdsAreTheHubsAndMapOneToOneOntoFolders) {
  for (const char* good : {"gpt2", "org/name", "Org-1/name.v2_x", "a/b", "_x/y_", "bert-base-uncased"}) {
    EXPECT_TRUE(RepoId::parse(good)) << good;
  }
  for (const std::string& bad : std::vector<std::string>{
           "", "/", "org/", "/name", "a/b/c", "or--g/name", "org/na..me", "../x", "org/..", ".x/y",
           "x/y-", "-x/y", "a b/c", "org/na%2fme", std::string("a\0b", 3), std::string(97, 'a'),
           "ünï/code"}) {
    EXPECT_FALSE(RepoId::parse(bad)) << bad;
  }
}

TEST(Names, RepoPathsStayInsideTheirFolder) {
  for (const char* good : {"config.json", "onnx/model.onnx", "dir/ünï code+plus.txt", ".gitattributes",
                           "a/.b/c", "x..y", "..."}) {
    EXPECT_TRUE(RepoPath::parse(good)) << good;
  }
  for (const std::string& bad : std::vector<std::string>{
           "", "/etc/passwd", "a/../b", "..", "../x", "a/..", ".", "./x", "a//b", "a/", "a\nb",
           "a\rb", "tab\tinside", std::string("a\0b", 3), "\x7f", "\xff.bin", "\xc3", std::string(256, 'a'),
           std::string(4097, 'a')}) {
    EXPECT_FALSE(RepoPath::parse(bad)) << util::printable(bad);
  }
  EXPECT_TRUE(RepoPath::parse(std::string(255, 'a') + "/" + std::string(255, 'b')));
}

TEST(Names, RevisionsAreRefNamesOrCommits) {
  for (const char* good : {"main", "v1.0", "refs/pr/3", "refs/convert/parquet", "feature/x-y_z", "0123abc"}) {
    EXPECT_TRUE(Revision::parse(good)) << good;
  }
  EXPECT_TRUE(Revision::parse(k_sha));
  for (const std::string& bad : std::vector<std::string>{
           "", "..", "a/../b", "a..b", "/main", "main/", "a//b", ".hidden", "x/.y", "main.lock", "a.",
           "@", "a@{1}", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[", "a\\b", "a\nb",
           std::string("a\0b", 3), std::string(256, 'a')}) {
    EXPECT_FALSE(Revision::parse(bad)) << util::printable(bad);
  }
}

TEST(Names, EtagsAreOneToken) {
  EXPECT_TRUE(Etag::parse(k_sha));
  EXPECT_TRUE(Etag::parse("abc-1.2_3"));
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "a/b", "/x", "a b", "\"x\"",
                                                        "a\r\nb", std::string(129, 'a')}) {
    EXPECT_FALSE(Etag::parse(bad)) << util::printable(bad);
  }
}

TEST(Names, FromSaysWhatWasExpectedWithTheTextMadePrintable) {
  const auto bad = RepoPath::from(std::string("a/../b\n\xff", 8));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, util::Errc::invalid_argument);
  EXPECT_EQ(bad.error().message, "'a/../b\\x0a\xef\xbf\xbd' is not a path in a repository");
}

TEST(Names, CredentialScopesAreEmptyOrThirtyTwoHexDigits) {
  EXPECT_TRUE(store::is_credential_scope(""));
  EXPECT_TRUE(store::is_credential_scope(std::string(32, 'f')));
  EXPECT_FALSE(store::is_credential_scope("scope"));
  EXPECT_FALSE(store::is_credential_scope(std::string(32, 'F')));
}

TEST(Names, PrintableCutsLongText) {
  EXPECT_EQ(util::printable(std::string(300, 'x')), std::string(200, 'x') + "...");
}

} // namespace
