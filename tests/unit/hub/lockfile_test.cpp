#include "hub/lockfile.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

const std::string k_commit = "a8c8aa76981432e7ab85e5a6ec502fd14c0addde";
const std::string k_sha256 = "3655db1d8f2ea3441dc164652b20ceafe0c992ce9badfc1ffb8cd588e8526b0e";

std::string file_line(const std::string& path) {
  return "file\tmodel\torg/name\t" + k_commit + "\t" + k_sha256 + "\t16480\t" + path + "\n";
}

TEST(Lockfile, RendersWhatItParsed) {
  const std::string text = "# comment\r\nref\tmodel\torg/name\tmain\t" + k_commit + "\r\n" +
                           file_line("onnx/model v2.onnx") + "url\t" + k_sha256 +
                           "\t5\thttps://x.test/a?b=1\n";
  const auto lock = hub::parse_lockfile(text, "a.lock");
  ASSERT_TRUE(lock) << lock.error().message;
  ASSERT_EQ(lock->files().size(), 1u);
  EXPECT_EQ(lock->files()[0].path, "onnx/model v2.onnx");
  EXPECT_EQ(lock->commit_of(store::RepoType::model, store::RepoId::parse("org/name").value(),
                            store::Revision::parse("main").value()),
            k_commit);
  const auto again = hub::parse_lockfile(lock->render(), "b.lock");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->render(), lock->render());
}

// Issue 14 (found by tests/fuzz/lockfile_fuzz.cpp): a field ending in a carriage return
// ("path\r\r\n": one CR is the line end's) parsed, but rendered and read back it lost the CR,
// so the lock named another file. A lock is text for review: no control characters in it.
TEST(Lockfile, Issue14ControlCharactersInAFieldAreRefused) {
  for (const std::string& path : {std::string("data/a.csv\r\r"), std::string("a\rb"), std::string("a\0b", 3),
                                 std::string("a\x1b[2Jb"), std::string("a\x7f")}) {
    const auto lock = hub::parse_lockfile(file_line(path), "x.lock");
    ASSERT_FALSE(lock) << path;
    EXPECT_EQ(lock.error().code, util::Errc::invalid_argument);
    EXPECT_NE(lock.error().message.find("x.lock:1: "), std::string::npos) << lock.error().message;
  }
  EXPECT_FALSE(hub::parse_lockfile("ref\tmodel\torg/na\x01me\tmain\t" + k_commit + "\n", "x.lock"));
  // Tabs separate fields; a path (the last field) holding one is not a path in a repository.
  EXPECT_FALSE(hub::parse_lockfile(file_line("a\tb"), "x.lock"));
}

} // namespace
