#include "engine/validate.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using Kind = engine::OpenError::Kind;

TEST(ValidateOptions, TheDefaultsAreValid) {
  const auto valid = engine::validate(engine::Options{});
  ASSERT_TRUE(valid) << valid.error().message;
  EXPECT_EQ(valid->upstream.host, "huggingface.co");
  EXPECT_EQ(valid->viewer.host, "datasets-server.huggingface.co");
  EXPECT_EQ(valid->listen.host, "127.0.0.1");
  EXPECT_EQ(valid->listen.port, 8780);
  EXPECT_EQ(valid->lock, nullptr);
}

TEST(ValidateOptions, ABadUpstreamIsAUsageErrorNamingTheFlag) {
  engine::Options options;
  options.upstream = "ftp://example.com";
  const auto valid = engine::validate(options);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().kind, Kind::usage);
  EXPECT_TRUE(valid.error().message.starts_with("--upstream: ")) << valid.error().message;
}

TEST(ValidateOptions, ABadListenIsAUsageErrorQuotingIt) {
  engine::Options options;
  options.listen = "localhost";
  const auto valid = engine::validate(options);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().kind, Kind::usage);
  EXPECT_EQ(valid.error().message, "--listen: 'localhost' is not HOST:PORT");
}

TEST(ValidateOptions, TheUpstreamIsCheckedBeforeTheListenAddress) {
  engine::Options options;
  options.upstream = "nope";
  options.listen = "nope";
  const auto valid = engine::validate(options);
  ASSERT_FALSE(valid);
  EXPECT_TRUE(valid.error().message.starts_with("--upstream: ")) << valid.error().message;
}

TEST(ValidateOptions, ALockNeedsReplay) {
  testutil::TempDir dir;
  const auto lock = dir.path() / "a.lock";
  std::ofstream(lock) << "";
  engine::Options options;
  options.lock = lock.string();
  const auto valid = engine::validate(options);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().kind, Kind::usage);
  EXPECT_TRUE(valid.error().message.starts_with("--lock needs --mode replay")) << valid.error().message;
}

TEST(ValidateOptions, AnUnreadableLockIsAUsageError) {
  testutil::TempDir dir;
  engine::Options options;
  options.mode = cache::Mode::replay;
  options.lock = (dir.path() / "missing.lock").string();
  const auto valid = engine::validate(options);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().kind, Kind::usage);
  EXPECT_TRUE(valid.error().message.starts_with("--lock: ")) << valid.error().message;
}

TEST(ValidateOptions, AMalformedLockReportsItsFirstFaultOnly) {
  testutil::TempDir dir;
  const auto lock = dir.path() / "bad.lock";
  std::ofstream(lock) << "nonsense line one\nnonsense line two\n";
  engine::Options options;
  options.mode = cache::Mode::replay;
  options.lock = lock.string();
  const auto valid = engine::validate(options);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().kind, Kind::usage);
  EXPECT_EQ(valid.error().message.find('\n'), std::string::npos) << valid.error().message;
  EXPECT_NE(valid.error().message.find("bad.lock"), std::string::npos) << valid.error().message;
}

TEST(ValidateOptions, AnEmptyLockInReplayIsValid) {
  testutil::TempDir dir;
  const auto lock = dir.path() / "empty.lock";
  std::ofstream(lock) << "";
  engine::Options options;
  options.mode = cache::Mode::replay;
  options.lock = lock.string();
  const auto valid = engine::validate(options);
  ASSERT_TRUE(valid) << valid.error().message;
  EXPECT_NE(valid->lock, nullptr);
}

TEST(ValidateOptions, ABadDatasetViewerIsAUsageError) {
  engine::Options options;
  options.dataset_viewer = "not a url";
  const auto valid = engine::validate(options);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().kind, Kind::usage);
  EXPECT_TRUE(valid.error().message.starts_with("--dataset-viewer: ")) << valid.error().message;
}

} // namespace
