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

// Safe from any thread; each line is written whole, in order. Lines are gathered in memory
// and written by a thread of the log's own within k_flush_interval (and on destruction): a
// write syscall per line cost a fifth of the throughput of small hits, and a write made by
// the request that filled a buffer held every other request's line meanwhile (issue 17: the
// tail latency of hits). Past k_max_pending bytes, a line's writer writes them itself: the
// memory is bounded, and a disk slower than the traffic slows the traffic, never drops a line.
class NdjsonLog {
public:
  // Opens `path` for appending ("-" is stderr), creating its directory.
  static Result<std::unique_ptr<NdjsonLog>> open(const std::filesystem::path& path);
  ~NdjsonLog();
  NdjsonLog(const NdjsonLog&) = delete;
  NdjsonLog& operator=(const NdjsonLog&) = delete;

  static constexpr std::chrono::milliseconds k_flush_interval{200};
  static constexpr std::size_t k_max_pending = 8u << 20;

  void write(const std::string& json_line);

private:
  NdjsonLog(std::FILE* file, bool owned);
  void flush_loop();
  // Takes the pending lines, then writes them with `pending_lock` let go: lines gathered
  // meanwhile wait for the next write, which `m_write_mutex` keeps after this one.
  void write_pending(std::unique_lock<std::mutex>& pending_lock);

  std::mutex m_mutex;        // m_pending, m_stopping
  std::mutex m_write_mutex;  // m_file; taken while holding m_mutex, so writes keep the lines' order
  std::condition_variable m_stop_requested;
  bool m_stopping = false;
  std::string m_pending;
  std::FILE* m_file;
  bool m_owned;
  std::thread m_flusher;
};

} // namespace util
