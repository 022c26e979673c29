// An append-only file of one JSON document per line, shared by threads.
#pragma once

#include "util/result.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <thread>
#include <filesystem>
#include <mutex>
#include <string>

namespace util {

// Safe from any thread; each line is written whole. Lines are buffered and flushed within
// k_flush_interval (and on destruction): a write syscall per line cost a fifth of the
// throughput of small hits.
class NdjsonLog {
public:
  // Opens `path` for appending ("-" is stderr), creating its directory.
  static Result<std::unique_ptr<NdjsonLog>> open(const std::filesystem::path& path);
  ~NdjsonLog();
  NdjsonLog(const NdjsonLog&) = delete;
  NdjsonLog& operator=(const NdjsonLog&) = delete;

  static constexpr std::chrono::milliseconds k_flush_interval{200};

  void write(const std::string& json_line);

private:
  NdjsonLog(std::FILE* file, bool owned);
  void flush_loop();

  std::mutex m_mutex;
  std::condition_variable m_stop_requested;
  bool m_stopping = false;
  bool m_dirty = false;
  std::FILE* m_file;
  bool m_owned;
  std::thread m_flusher;
};

} // namespace util
