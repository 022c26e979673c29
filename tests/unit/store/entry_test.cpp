#include "store/entry.hpp"

#include <gtest/gtest.h>

namespace store {
namespace {

TEST(RepoFolder, ParsesBackWhatRepoFolderWrites) {
  for (const auto& [type, id] : {std::pair{RepoType::model, std::string("org/name")},
                                 std::pair{RepoType::dataset, std::string("squad")},
                                 std::pair{RepoType::space, std::string("a-b/c.d_e")}}) {
    const auto parsed = parse_repo_folder(repo_folder(type, RepoId::parse(id).value()));
    ASSERT_TRUE(parsed) << id;
    EXPECT_EQ(parsed->first, type);
    EXPECT_EQ(parsed->second, id);
  }
  EXPECT_FALSE(parse_repo_folder("models--"));
  EXPECT_FALSE(parse_repo_folder("models--a--b--c"));
  EXPECT_FALSE(parse_repo_folder("widgets--a"));
}

// Issue 14 (found by tests/fuzz/bucket_row_fuzz.cpp): repo_folder never writes '/', so a name
// holding one is a path, not a folder; it was read as the repo "o/rg/name".
TEST(RepoFolder, Issue14ANameWithASlashIsNotAFolder) {
  EXPECT_FALSE(parse_repo_folder("models--o/rg--name"));
  EXPECT_FALSE(parse_repo_folder("models--a/b"));
  EXPECT_FALSE(parse_repo_folder("datasets--../x"));
}

} // namespace
} // namespace store
