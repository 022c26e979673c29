#include "mount/mountpoint.hpp"

#include "testutil.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace mount {
namespace {

TEST(Mountpoint, AnOrdinaryDirectoryIsUsable) {
  testutil::TempDir dir;
  auto state = inspect_mountpoint(dir.path());
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(*state, MountpointState::directory);
}

TEST(Mountpoint, AMissingPathOrAFileIsRefusedWithItsName) {
  testutil::TempDir dir;
  auto missing = inspect_mountpoint(dir.path() / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, util::Errc::invalid_argument);
  EXPECT_EQ(missing.error().message, (dir.path() / "nope").string() + " does not exist");
  std::ofstream(dir.path() / "file") << "x";
  auto file = inspect_mountpoint(dir.path() / "file");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().message, (dir.path() / "file").string() + " is not a directory");
}

TEST(Mountpoint, DetachingWhatIsNoMountFailsAndLeavesTheDirectory) {
  testutil::TempDir dir;
  std::ofstream(dir.path() / "kept") << "x";
  auto detached = detach_stale_mount(dir.path());
  ASSERT_FALSE(detached);  // EINVAL as root, fusermount3's refusal otherwise
  EXPECT_NE(detached.error().message.find("cannot detach the stale mount at " + dir.path().string()),
            std::string::npos)
      << detached.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "kept"));
}

} // namespace
} // namespace mount
