#include "preload/fill_and_publish.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

namespace {

class QuietObserver final : public preload::Observer {
public:
  void planned(std::uint64_t, std::uint64_t) override { ++plans; }
  void advanced(std::uint64_t) override {}
  void file_done(const preload::FileTask&, std::uint64_t, const std::string&) override {}
  void notice(const std::string&) override {}
  int plans = 0;
};

TEST(FillAndPublish, ABadUpstreamIsTheEnginesUsageErrorAndNoStoreIsMade) {
  testutil::TempDir dir;
  preload::JobOptions options;
  options.store = dir.path() / "store";
  options.upstream = "not a url";
  QuietObserver observer;
  const auto done = preload::fill_and_publish(options, {}, observer, {});
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, engine::OpenError::Kind::usage);
  EXPECT_TRUE(done.error().message.starts_with("--upstream: ")) << done.error().message;
  EXPECT_FALSE(std::filesystem::exists(options.store));
  EXPECT_EQ(observer.plans, 0);
}

TEST(FillAndPublish, NothingToFetchRunsTheEngineAndPublishesNothing) {
  testutil::TempDir dir;
  preload::JobOptions options;
  options.store = dir.path() / "store";
  options.upstream = "http://127.0.0.1:9";  // never asked: the manifest is empty
  QuietObserver observer;
  const auto done = preload::fill_and_publish(options, {}, observer, {});
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(done->outcomes.empty());
  EXPECT_FALSE(done->any_failed());
  EXPECT_TRUE(done->bucket.empty());
  EXPECT_FALSE(done->published);
  EXPECT_FALSE(done->publish_error);
  EXPECT_TRUE(std::filesystem::exists(options.store));
}

TEST(FillAndPublish, AnyFailedIsTrueWhenAnEntryHasAnError) {
  preload::JobReport report;
  report.outcomes.resize(2);
  EXPECT_FALSE(report.any_failed());
  report.outcomes[1].errors.push_back("boom");
  EXPECT_TRUE(report.any_failed());
}

} // namespace
