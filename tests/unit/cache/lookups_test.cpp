#include "cache/lookups.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

TEST(Lookups, RunsTheRequestOnALookupThread) {
  util::Metrics metrics;
  cache::Lookups lookups({.threads = 2, .queue = 4}, metrics, {});
  EXPECT_FALSE(cache::Lookups::on_lookup_thread());
  std::promise<http::Response> answered;
  auto future = answered.get_future();
  std::atomic<bool> on_lookup_thread{false};
  lookups.run([&answered](http::Response r) { answered.set_value(std::move(r)); },
              [&](http::Respond respond) {
                on_lookup_thread = cache::Lookups::on_lookup_thread();
                respond(http::Response::text(200, "found"));
              });
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get().status, 200);
  EXPECT_TRUE(on_lookup_thread);
}

// The bound: a fixed number of threads and a bounded queue; beyond them, a 503 at once.
TEST(Lookups, WhenEveryThreadAndTheQueueAreTakenTheRequestIsAnswered503) {
  util::Metrics metrics;
  cache::Lookups lookups({.threads = 1, .queue = 1}, metrics, {});
  std::promise<void> open;
  const auto gate = open.get_future().share();
  std::atomic<int> started{0};
  std::atomic<int> answered{0};
  const auto waiting_job = [&](http::Respond respond) {
    ++started;
    gate.wait();
    respond(http::Response::text(200, "found"));
  };
  const auto count = [&answered](http::Response r) {
    if (r.status == 200) ++answered;
  };
  lookups.run(count, waiting_job);
  for (int i = 0; i < 500 && started < 1; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(started, 1);           // the one thread is taken
  lookups.run(count, waiting_job); // the one place in the queue
  std::optional<http::Response> refused;
  lookups.run([&refused](http::Response r) { refused = std::move(r); }, waiting_job);
  ASSERT_TRUE(refused); // answered before run() returned
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(util::find_header(refused->headers, "Retry-After").value_or(""), "1");
  EXPECT_EQ(metrics.value("hubcache_lookup_queue_full_total"), 1u);
  EXPECT_EQ(lookups.running(), 1u);
  EXPECT_EQ(lookups.queued(), 1u);
  open.set_value();
  for (int i = 0; i < 500 && answered < 2; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(answered, 2);
  EXPECT_EQ(started, 2); // the refused one never ran
}

TEST(Lookups, AJobThatThrowsCostsItsRequestA500) {
  util::Metrics metrics;
  std::vector<std::string> notices;
  std::mutex notices_mutex;
  cache::Lookups lookups({.threads = 1, .queue = 1}, metrics, [&](const std::string& line) {
    std::lock_guard lock(notices_mutex);
    notices.push_back(line);
  });
  std::promise<http::Response> answered;
  auto future = answered.get_future();
  lookups.run([&answered](http::Response r) { answered.set_value(std::move(r)); },
              [](http::Respond) { throw std::runtime_error("a bug"); });
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get().status, 500);
  EXPECT_EQ(metrics.value("hubcache_internal_errors_total"), 1u);
  std::lock_guard lock(notices_mutex);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("a bug"), std::string::npos);
}

} // namespace
