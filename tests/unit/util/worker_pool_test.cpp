#include "util/worker_pool.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

// A gate jobs wait at until the test opens it.
class Gate {
public:
  void wait() {
    std::unique_lock lock(m_mutex);
    ++m_waiting;
    m_changed.notify_all();
    m_changed.wait(lock, [this] { return m_open; });
    --m_waiting;
  }
  void open() {
    std::lock_guard lock(m_mutex);
    m_open = true;
    m_changed.notify_all();
  }
  // Waits (up to 5 s) until `n` jobs wait at the gate.
  bool reached_by(int n) {
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, 5s, [&] { return m_waiting >= n; });
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  int m_waiting = 0;
  bool m_open = false;
};

template <typename Predicate> bool eventually(Predicate done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

TEST(WorkerPool, RunsNoMoreJobsAtOnceThanItHasThreads) {
  Gate gate;
  std::atomic<int> inside{0}, most{0}, done{0};
  {
    util::WorkerPool pool(2, 10, {});
    EXPECT_EQ(pool.threads(), 2u);
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(pool.try_post([&] {
        const int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        gate.wait();
        --inside;
        ++done;
      }));
    }
    ASSERT_TRUE(gate.reached_by(2));
    std::this_thread::sleep_for(50ms); // a third would have started by now
    EXPECT_EQ(pool.running(), 2u);
    EXPECT_EQ(pool.queued(), 4u);
    gate.open();
  } // the destructor runs what is queued, then joins
  EXPECT_EQ(done.load(), 6);
  EXPECT_EQ(most.load(), 2);
}

TEST(WorkerPool, RefusesAJobOnceEveryThreadIsBusyAndTheQueueIsFull) {
  Gate gate;
  std::atomic<int> ran{0};
  util::WorkerPool pool(1, 2, {});
  const auto job = [&] {
    gate.wait();
    ++ran;
  };
  ASSERT_TRUE(pool.try_post(job)); // taken by the idle worker
  ASSERT_TRUE(gate.reached_by(1));
  EXPECT_TRUE(pool.try_post(job));
  EXPECT_TRUE(pool.try_post(job));
  EXPECT_FALSE(pool.try_post(job)); // refused, not queued and not given a thread
  EXPECT_EQ(pool.queued(), 2u);
  gate.open();
  ASSERT_TRUE(eventually([&] { return ran.load() == 3; }));
  EXPECT_TRUE(pool.try_post(job)); // room again
  ASSERT_TRUE(eventually([&] { return ran.load() == 4; }));
}

TEST(WorkerPool, AJobThatThrowsIsReportedAndTheWorkerGoesOn) {
  std::mutex mutex;
  std::vector<std::string> errors;
  std::atomic<int> ran{0};
  util::WorkerPool pool(1, 4, [&](const std::string& error) {
    std::lock_guard lock(mutex);
    errors.push_back(error);
  });
  ASSERT_TRUE(pool.try_post([] { throw std::runtime_error("boom"); }));
  ASSERT_TRUE(pool.try_post([] { throw 42; }));
  ASSERT_TRUE(pool.try_post([&] { ++ran; }));
  ASSERT_TRUE(eventually([&] { return ran.load() == 1; }));
  std::lock_guard lock(mutex);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("boom"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("unknown exception"), std::string::npos) << errors[1];
}

TEST(WorkerPool, AThreadThatCannotStartIsAStartUpErrorAndStopsTheOthers) {
  int started = 0;
  const auto spawn = [&](std::function<void()> body) {
    if (started == 2)
      throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    ++started;
    return std::thread(std::move(body));
  };
  EXPECT_THROW(util::WorkerPool(4, 4, {}, spawn), std::system_error);
  EXPECT_EQ(started, 2); // and both were joined: the test does not hang or abort
}

} // namespace
