#include "engine/engine.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using Kind = engine::OpenError::Kind;

engine::Options loopback(const std::filesystem::path& store) {
  engine::Options options;
  options.store = store;
  options.listen = "127.0.0.1:0";
  options.upstream = "http://127.0.0.1:9";  // never asked by these tests
  options.max_fetches = 2;
  return options;
}

TEST(Engine, OpensListensAndStops) {
  testutil::TempDir dir;
  auto opened = engine::Engine::open(loopback(dir.path() / "store"));
  ASSERT_TRUE(opened) << opened.error().message;
  auto& e = **opened;
  EXPECT_GT(e.port(), 0);
  EXPECT_EQ(e.store_root(), dir.path() / "store");
  e.start();
  e.finish();
  EXPECT_EQ(e.counter("hubcache_upstream_requests_total"), 0u);
}

TEST(Engine, WritesThePortFile) {
  testutil::TempDir dir;
  auto options = loopback(dir.path() / "store");
  options.port_file = (dir.path() / "port").string();
  auto opened = engine::Engine::open(options);
  ASSERT_TRUE(opened) << opened.error().message;
  std::ifstream in(options.port_file);
  int port = 0;
  in >> port;
  EXPECT_EQ(port, (*opened)->port());
}

TEST(Engine, DestroyingAStartedEngineStopsIt) {
  testutil::TempDir dir;
  auto opened = engine::Engine::open(loopback(dir.path() / "store"));
  ASSERT_TRUE(opened) << opened.error().message;
  (*opened)->start();
  opened->reset();  // must return: the destructor stops and joins
  SUCCEED();
}

TEST(Engine, BadOptionsAreUsageErrorsAndTouchNoStore) {
  testutil::TempDir dir;
  auto options = loopback(dir.path() / "store");
  options.listen = "nowhere";
  const auto opened = engine::Engine::open(options);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind, Kind::usage);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "store"));
}

TEST(Engine, AStoreThatCannotBeMadeIsAFailure) {
  testutil::TempDir dir;
  std::ofstream(dir.path() / "file") << "not a directory";
  const auto opened = engine::Engine::open(loopback(dir.path() / "file" / "store"));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind, Kind::failure);
}

TEST(Engine, APortInUseIsAFailure) {
  testutil::TempDir dir;
  auto first = engine::Engine::open(loopback(dir.path() / "a"));
  ASSERT_TRUE(first) << first.error().message;
  auto options = loopback(dir.path() / "b");
  options.listen = "127.0.0.1:" + std::to_string((*first)->port());
  const auto second = engine::Engine::open(options);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, Kind::failure);
}

} // namespace
