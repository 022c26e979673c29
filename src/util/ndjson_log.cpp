#include "util/ndjson_log.hpp"

#include "util/file.hpp"

#include <memory>

namespace util {

Result<std::unique_ptr<NdjsonLog>> NdjsonLog::open(const std::filesystem::path& path,
                                                  std::chrono::milliseconds flush_interval) {
  if (path == "-") return std::unique_ptr<NdjsonLog>(new NdjsonLog(stderr, false, flush_interval));
  if (path.has_parent_path()) {
    if (auto r = make_dirs(path.parent_path()); !r) return tl::unexpected(r.error());
  }
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (!file) return fail_errno("open log " + path.string());
  return std::unique_ptr<NdjsonLog>(new NdjsonLog(file, true, flush_interval));
}

NdjsonLog::NdjsonLog(std::FILE* file, bool owned, std::chrono::milliseconds flush_interval)
    : m_flush_interval(flush_interval), m_file(file), m_owned(owned), m_flusher([this] { flush_loop(); }) {}

NdjsonLog::~NdjsonLog() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_wake.notify_all();
  m_flusher.join();
  std::unique_lock lock(m_mutex);
  write_pending(lock);
  if (m_owned) std::fclose(m_file);
}

void NdjsonLog::write(const std::string& json_line) {
  std::unique_lock lock(m_mutex);
  m_pending.append(json_line).push_back('\n');
  if (m_pending.size() > k_max_pending) {
    write_pending(lock);
  } else if (!m_flush_asked && m_pending.size() >= k_flush_bytes) {
    m_flush_asked = true;
    m_wake.notify_one();
  }
}

void NdjsonLog::write_pending(std::unique_lock<std::mutex>& pending_lock) {
  m_flush_asked = false;
  if (m_pending.empty()) return;
  std::unique_lock write_lock(m_write_mutex);
  // The lines go; the buffer taken in exchange is the last write's, emptied with its capacity
  // kept, so the requests' appends do not regrow one from nothing after every write.
  m_writing.swap(m_pending);
  pending_lock.unlock();
  std::fwrite(m_writing.data(), 1, m_writing.size(), m_file);
  std::fflush(m_file);
  m_writing.clear();
  write_lock.unlock();  // before taking m_mutex again: the order is m_mutex, then m_write_mutex
  pending_lock.lock();
}

void NdjsonLog::flush_loop() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    m_wake.wait_for(lock, m_flush_interval, [&] { return m_stopping || m_flush_asked; });
    write_pending(lock);
  }
}

} // namespace util
