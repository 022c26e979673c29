#include "upstream/host_limiter.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

TEST(HostLimiter, NeverLetsMoreThanTheCapThroughPerHost) {
  upstream::HostLimiter limiter(2);
  util::StopSignal stop;
  std::atomic<int> inside{0}, most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto permit = limiter.acquire("a.test", stop);
      ASSERT_TRUE(permit);
      const int now = ++inside;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      --inside;
    });
  }
  // Another host is not held up by the first.
  auto other = limiter.acquire("b.test", stop);
  EXPECT_TRUE(other);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(most.load(), 2);
  EXPECT_EQ(limiter.in_use("a.test"), 0);
}

TEST(HostLimiter, AStopEndsTheWait) {
  upstream::HostLimiter limiter(1);
  util::StopSignal stop;
  auto held = limiter.acquire("a.test", stop);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.request_stop();
  });
  EXPECT_FALSE(limiter.acquire("a.test", stop));
  stopper.join();
}

} // namespace
