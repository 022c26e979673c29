#include "util/ndjson_log.hpp"

#include "util/file.hpp"

#include <memory>

namespace util {

Result<std::unique_ptr<NdjsonLog>> NdjsonLog::open(const std::filesystem::path& path) {
  if (path == "-") return std::unique_ptr<NdjsonLog>(new NdjsonLog(stderr, false));
  if (path.has_parent_path()) {
    if (auto r = make_dirs(path.parent_path()); !r) return tl::unexpected(r.error());
  }
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (!file) return fail_errno("open log " + path.string());
  return std::unique_ptr<NdjsonLog>(new NdjsonLog(file, true));
}

NdjsonLog::NdjsonLog(std::FILE* file, bool owned)
    : m_file(file), m_owned(owned), m_flusher([this] { flush_loop(); }) {}

NdjsonLog::~NdjsonLog() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_stop_requested.notify_all();
  m_flusher.join();
  std::fflush(m_file);
  if (m_owned) std::fclose(m_file);
}

void NdjsonLog::write(const std::string& json_line) {
  std::lock_guard lock(m_mutex);
  std::fwrite(json_line.data(), 1, json_line.size(), m_file);
  std::fputc('\n', m_file);
  m_dirty = true;
}

void NdjsonLog::flush_loop() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_stop_requested.wait_for(lock, k_flush_interval);
    if (m_dirty) {
      std::fflush(m_file);
      m_dirty = false;
    }
  }
}

} // namespace util
