// Threads of one process sharing a store (processes are covered by the integration tests).
#include "store/eviction.hpp"
#include "store/store.hpp"
#include "testutil.hpp"
#include "util/file.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using testutil::TestStore;

TEST(Concurrency, WritersOfTheSameContentAllSucceedWithOneCopy) {
  TestStore s;
  const std::string content(256 * 1024, 'z');
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 20; ++i) {
          testutil::put_hub_file(*s, content,
                                 "file-" + std::to_string(t) + "-" + std::to_string(i));
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(failures, 0);
  const auto counts = s->index().counts().value();
  EXPECT_EQ(counts.blobs, 1u);
  EXPECT_EQ(counts.hub_objects, 160u);
  EXPECT_EQ(util::dir_usage(s->layout().tmp_dir()).value().files, 0u);
}

// Readers and an evictor racing: every entry a reader finds has its whole body.
TEST(Concurrency, ReadersNeverSeeAnEntryWithoutItsBlobWhileEvicting) {
  TestStore s;
  std::vector<store::HubObjectKey> keys;
  for (int i = 0; i < 50; ++i) {
    keys.push_back(
        testutil::put_hub_file(*s, std::string(1000 + i, 'a' + i % 26), "f" + std::to_string(i)));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!stop) {
      for (const auto& key : keys) {
        auto found = s->open_hub_object(key);
        if (!found) {
          ++bad;
          continue;
        }
        if (*found && (!(*found)->body || (*found)->body->size() != (*found)->entry.size)) ++bad;
      }
    }
  });
  for (std::uint64_t bound = 60'000; bound > 0; bound -= 5'000) {
    ASSERT_TRUE(store::evict_to_bound(*s, bound));
  }
  ASSERT_TRUE(store::evict_to_bound(*s, 0));
  stop = true;
  reader.join();
  EXPECT_EQ(bad, 0);
}

} // namespace
