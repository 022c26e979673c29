#include "remote/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace remote {

util::Result<void> run_parallel(std::size_t count, int jobs,
                                const std::function<util::Result<void>(std::size_t)>& work) {
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  std::optional<util::Error> first;
  const auto run = [&] {
    for (;;) {
      {
        std::lock_guard lock(mutex);
        if (first) return;
      }
      const std::size_t i = next.fetch_add(1);
      if (i >= count) return;
      if (auto done = work(i); !done) {
        std::lock_guard lock(mutex);
        if (!first) first = done.error();
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < std::max(1, jobs); ++t) threads.emplace_back(run);
  run();
  for (auto& thread : threads) thread.join();
  if (first) return tl::unexpected(*first);
  return {};
}

} // namespace remote
