#include "util/ndjson_log.hpp"
#include "testutil.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

namespace {

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::istringstream in(testutil::read_file(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(NdjsonLog, EveryLineIsWrittenWholeAndInOrderPerWriter) {
  testutil::TempDir dir;
  const auto path = dir.path() / "logs" / "access.ndjson";
  constexpr int k_threads = 4;
  constexpr int k_lines = 20'000;  // past k_max_pending in all: writers write some themselves
  const std::string padding(120, 'x');
  {
    auto log = util::NdjsonLog::open(path).value();
    std::vector<std::thread> writers;
    for (int t = 0; t < k_threads; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < k_lines; ++i) {
          log->write("{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + ",\"p\":\"" + padding + "\"}");
        }
      });
    }
    for (auto& writer : writers) writer.join();
  }
  const auto lines = lines_of(path);
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(k_threads * k_lines));
  std::vector<int> next(k_threads, 0);
  for (const auto& line : lines) {
    int t = -1, i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "{\"t\":%d,\"i\":%d,", &t, &i), 2) << line;
    ASSERT_TRUE(t >= 0 && t < k_threads);
    EXPECT_EQ(i, next[t]) << "thread " << t << "'s lines out of order";
    next[t] = i + 1;
    EXPECT_EQ(line.size(), line.find(padding) + padding.size() + 2) << "a line cut: " << line;
  }
}

TEST(NdjsonLog, LinesReachTheFileWithinTheFlushInterval) {
  testutil::TempDir dir;
  const auto path = dir.path() / "access.ndjson";
  auto log = util::NdjsonLog::open(path).value();
  log->write("{\"event\":\"access\"}");
  std::this_thread::sleep_for(util::NdjsonLog::k_flush_interval * 3);
  EXPECT_EQ(lines_of(path), std::vector<std::string>{"{\"event\":\"access\"}"});
}

TEST(NdjsonLog, LinesPastTheFlushSizeAreWrittenWithoutWaitingForTheInterval) {
  testutil::TempDir dir;
  const auto path = dir.path() / "access.ndjson";
  auto log = util::NdjsonLog::open(path, std::chrono::hours(1)).value();
  const std::string line = "{\"p\":\"" + std::string(1000, 'x') + "\"}";
  const std::size_t lines = util::NdjsonLog::k_flush_bytes / (line.size() + 1) + 1;
  for (std::size_t i = 0; i < lines; ++i) log->write(line);
  // The interval is an hour: only the size can have woken the log's thread.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::filesystem::file_size(path) < lines * (line.size() + 1) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(lines_of(path).size(), lines);
  log->write("{\"last\":1}");  // below the size: it waits for the interval (or the end)
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(lines_of(path).size(), lines);
}

} // namespace
