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
// and written by a thread of the log's own once k_flush_bytes have gathered, else within the
// flush interval (and on destruction): a write syscall per line cost a fifth of the
// throughput of small hits, and a write made by the request that filled a buffer held every
// other request's line meanwhile (issue 17: the tail latency of hits). Writes of a few
// hundred KiB, not of all that 200 ms of traffic gathers (megabytes at 70k lines/s), keep the
// log thread's turns on the CPU short, so it never holds a core away from the server's
// threads for long. Past k_max_pending bytes, a line's writer writes them itself: the memory
// is bounded, and a disk slower than the traffic slows the traffic, never drops a line.
class NdjsonLog {
public:
  static constexpr std::chrono::milliseconds k_flush_interval{200};
  static constexpr std::size_t k_flush_bytes = 256u << 10;
  static constexpr std::size_t k_max_pending = 8u << 20;

  // Opens `path` for appending ("-" is stderr), creating its directory.
  static Result<std::unique_ptr<NdjsonLog>> open(const std::filesystem::path& path,
                                                 std::chrono::milliseconds flush_interval = k_flush_interval);
  ~NdjsonLog();
  NdjsonLog(const NdjsonLog&) = delete;
  NdjsonLog& operator=(const NdjsonLog&) = delete;

  void write(const std::string& json_line);

private:
  NdjsonLog(std::FILE* file, bool owned, std::chrono::milliseconds flush_interval);
  void flush_loop();
  // Takes the pending lines, then writes them with `pending_lock` let go: lines gathered
  // meanwhile wait for the next write, which `m_write_mutex` keeps after this one.
  void write_pending(std::unique_lock<std::mutex>& pending_lock);

  const std::chrono::milliseconds m_flush_interval;
  std::mutex m_mutex;        // m_pending, m_stopping, m_flush_asked
  std::mutex m_write_mutex;  // m_file, m_writing; taken while holding m_mutex, so writes keep the lines' order
  std::condition_variable m_wake;  // the flusher: stopping, or k_flush_bytes gathered
  bool m_stopping = false;
  bool m_flush_asked = false;
  std::string m_pending;
  std::string m_writing;  // the lines being written; keeps its capacity for the next swap
  std::FILE* m_file;
  bool m_owned;
  std::thread m_flusher;
};

} // namespace util
