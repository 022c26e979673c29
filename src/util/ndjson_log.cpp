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
  std::unique_lock lock(m_mutex);
  write_pending(lock);
  if (m_owned) std::fclose(m_file);
}

void NdjsonLog::write(const std::string& json_line) {
  std::unique_lock lock(m_mutex);
  m_pending.append(json_line).push_back('\n');
  if (m_pending.size() > k_max_pending) write_pending(lock);
}

void NdjsonLog::write_pending(std::unique_lock<std::mutex>& pending_lock) {
  if (m_pending.empty()) return;
  std::string lines;
  lines.swap(m_pending);
  std::unique_lock write_lock(m_write_mutex);
  pending_lock.unlock();
  std::fwrite(lines.data(), 1, lines.size(), m_file);
  std::fflush(m_file);
  write_lock.unlock();  // before taking m_mutex again: the order is m_mutex, then m_write_mutex
  pending_lock.lock();
}

void NdjsonLog::flush_loop() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_stop_requested.wait_for(lock, k_flush_interval);
    write_pending(lock);
  }
}

} // namespace util
