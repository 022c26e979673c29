#include "util/file.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().filename().string());
  return out;
}

TEST(WriteFileAtomically, WritesNewFile) {
  testutil::TempDir dir;
  const auto path = dir.path() / "refs-main";
  ASSERT_TRUE(util::write_file_atomically(path, "0123456789abcdef0123456789abcdef01234567"));
  EXPECT_EQ(testutil::read_file(path), "0123456789abcdef0123456789abcdef01234567");
  // Nothing beside it: the temporary file was renamed, not copied.
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"refs-main"});
}

TEST(WriteFileAtomically, ReplacesExistingFile) {
  testutil::TempDir dir;
  const auto path = dir.path() / "state.json";
  testutil::write_file(path, std::string(10000, 'x'));
  ASSERT_TRUE(util::write_file_atomically(path, "{}"));
  EXPECT_EQ(testutil::read_file(path), "{}");
  EXPECT_EQ(fs::file_size(path), 2u);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"state.json"});
}

TEST(WriteFileAtomically, EmptyAndBinaryContent) {
  testutil::TempDir dir;
  const auto path = dir.path() / "f";
  ASSERT_TRUE(util::write_file_atomically(path, ""));
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::file_size(path), 0u);
  const std::string binary("a\0b\xff\n", 5);
  ASSERT_TRUE(util::write_file_atomically(path, binary));
  EXPECT_EQ(testutil::read_file(path), binary);
}

TEST(WriteFileAtomically, ReadableByOthers) {
  // mkstemp makes 0600 files; what is written is meant to be read like any other file.
  testutil::TempDir dir;
  const auto path = dir.path() / "f";
  ASSERT_TRUE(util::write_file_atomically(path, "x"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(WriteFileAtomically, MissingDirectoryIsAnIoError) {
  testutil::TempDir dir;
  const auto result = util::write_file_atomically(dir.path() / "missing" / "f", "x");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, util::Errc::io);
  EXPECT_FALSE(result.error().message.empty());
  EXPECT_TRUE(names_in(dir.path()).empty());
}

TEST(WriteFileAtomically, FailedRenameLeavesNoTemporaryFile) {
  testutil::TempDir dir;
  // A non-empty directory where the file should go: rename(2) cannot replace it.
  const auto path = dir.path() / "taken";
  fs::create_directory(path);
  testutil::write_file(path / "inside", "keep");
  const auto result = util::write_file_atomically(path, "x");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, util::Errc::io);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"taken"});
  EXPECT_EQ(testutil::read_file(path / "inside"), "keep");
}

} // namespace
