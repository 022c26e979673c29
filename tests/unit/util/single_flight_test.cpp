#include "util/single_flight.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

bool wait_for(const std::atomic<int>& count, int n) {
  for (int i = 0; i < 500 && count < n; ++i)
    std::this_thread::sleep_for(10ms);
  return count >= n;
}

TEST(SingleFlight, CallersOfOneKeyUnderWayShareOneCall) {
  std::atomic<int> joined{0};
  util::SingleFlight<int> flights([&joined] { ++joined; });
  std::atomic<int> calls{0};
  std::promise<void> open;
  const auto gate = open.get_future().share();
  std::vector<std::future<int>> results;
  for (int i = 0; i < 8; ++i) {
    results.push_back(std::async(std::launch::async, [&] {
      return flights.run("k", [&] {
        ++calls;
        gate.wait();
        return 42;
      });
    }));
  }
  ASSERT_TRUE(wait_for(joined, 7)); // one calls, seven wait for it
  open.set_value();
  for (auto& result : results)
    EXPECT_EQ(result.get(), 42);
  EXPECT_EQ(calls, 1);
}

TEST(SingleFlight, DistinctKeysAndLaterCallersCallAgain) {
  util::SingleFlight<std::string> flights;
  int calls = 0;
  EXPECT_EQ(flights.run("a", [&] { return std::to_string(++calls); }), "1");
  EXPECT_EQ(flights.run("a", [&] { return std::to_string(++calls); }), "2"); // the first had landed
  EXPECT_EQ(flights.run("b", [&] { return std::to_string(++calls); }), "3");
}

TEST(SingleFlight, AWaiterCallsItselfWhenTheCallItWaitedForThrew) {
  std::atomic<int> joined{0};
  util::SingleFlight<int> flights([&joined] { ++joined; });
  std::promise<void> open;
  const auto gate = open.get_future().share();
  std::atomic<int> started{0};
  auto thrower = std::async(std::launch::async, [&] {
    return flights.run("k", [&]() -> int {
      ++started;
      gate.wait();
      throw std::runtime_error("bug");
    });
  });
  ASSERT_TRUE(wait_for(started, 1)); // the thrower holds the key
  auto waiter = std::async(std::launch::async, [&] { return flights.run("k", [] { return 7; }); });
  ASSERT_TRUE(wait_for(joined, 1));
  open.set_value();
  EXPECT_THROW(thrower.get(), std::runtime_error);
  EXPECT_EQ(waiter.get(), 7);
}

} // namespace
