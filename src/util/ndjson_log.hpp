// An append-only file of one JSON document per line, shared by threads.
#pragma once

#include "util/result.hpp"

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>

namespace util {

// Safe from any thread; each line is written whole and flushed.
class NdjsonLog {
public:
  // Opens `path` for appending ("-" is stderr), creating its directory.
  static Result<std::unique_ptr<NdjsonLog>> open(const std::filesystem::path& path);
  ~NdjsonLog();
  NdjsonLog(const NdjsonLog&) = delete;
  NdjsonLog& operator=(const NdjsonLog&) = delete;

  void write(const std::string& json_line);

private:
  explicit NdjsonLog(std::FILE* file, bool owned) : m_file(file), m_owned(owned) {}
  std::mutex m_mutex;
  std::FILE* m_file;
  bool m_owned;
};

} // namespace util
