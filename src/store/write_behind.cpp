#include "store/write_behind.hpp"

#include <fcntl.h>
#include <system_error>

namespace store {

std::unique_ptr<WriteBehind> WriteBehind::start(int fd, util::Sha256Hasher& hasher,
                                                std::uint64_t offset) {
  std::unique_ptr<WriteBehind> behind(new WriteBehind(fd, offset));
  try {
    behind->m_thread = std::thread([raw = behind.get()] { raw->run(); });
  } catch (const std::system_error&) {
    return nullptr;
  }
  // Before any block is handed over (under the mutex), so the thread sees it.
  std::lock_guard lock(behind->m_mutex);
  behind->m_hasher = std::move(hasher);
  hasher = util::Sha256Hasher();
  return behind;
}

WriteBehind::~WriteBehind() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_changed.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void WriteBehind::written(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    if (m_filling.capacity() < k_block) m_filling.reserve(k_block);
    const std::size_t take = std::min(data.size(), k_block - m_filling.size());
    m_filling.insert(m_filling.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (m_filling.size() == k_block) submit();
  }
}

void WriteBehind::submit() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return m_full.size() < k_queue; });
  m_full.push_back(std::move(m_filling));
  m_filling.clear();
  if (!m_spare.empty()) {
    m_filling = std::move(m_spare.back());
    m_spare.pop_back();
    m_filling.clear();
  }
  lock.unlock();
  m_changed.notify_all();
}

util::Sha256 WriteBehind::finish() {
  if (!m_filling.empty()) submit();
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return m_full.empty() && !m_busy; });
  return m_hasher.finish();
}

void WriteBehind::run() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_changed.wait(lock, [&] { return m_stopping || !m_full.empty(); });
    if (m_stopping) return;
    std::vector<std::uint8_t> block = std::move(m_full.front());
    m_full.pop_front();
    m_busy = true;
    lock.unlock();
    m_changed.notify_all();  // a writer waiting for room

    m_hasher.update(block);
    m_offset += block.size();
    if (m_offset - m_synced >= k_writeback_step) {
      // Starts the writeback of bytes already written; it does not wait for it, and a
      // failure only leaves more for commit()'s fsync, which reports it.
      (void)::sync_file_range(m_fd, static_cast<off_t>(m_synced),
                              static_cast<off_t>(m_offset - m_synced), SYNC_FILE_RANGE_WRITE);
      m_synced = m_offset;
    }

    lock.lock();
    m_busy = false;
    if (m_spare.size() < k_queue) m_spare.push_back(std::move(block));
    m_changed.notify_all();  // finish() waiting for the last block
  }
}

} // namespace store
