// Entries used recently, kept with their bodies open and pinned, so a hot hit costs no index
// query and no open(2). An entry is trusted for a short time (k_ttl): another process may
// replace or try to evict it meanwhile, and this bounds how long that goes unnoticed. This
// process's own changes are seen at once: an entry may carry the generation of what it was
// read from (a store's counter, read *before* the read), and a find with a newer generation
// drops it. A sweeper thread drops idle entries, so a pin never outlives its last use by much
// more.
#pragma once

#include "util/result.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

namespace cache {

// Safe from any thread. `Entry` is copied out on every hit: keep it to shared_ptrs.
template <typename Entry> class HotEntries {
public:
  static constexpr std::chrono::milliseconds k_ttl{1000};

  // At most `capacity` entries (0: none kept). Each entry may hold an open descriptor, so
  // the capacity is a share of the process's descriptor limit (issue 14: a burst of distinct
  // hits must not run the server out of descriptors).
  explicit HotEntries(std::size_t capacity)
      : m_capacity(capacity), m_sweeper([this] { sweep_loop(); }) {}
  ~HotEntries() {
    {
      std::lock_guard lock(m_mutex);
      m_stopping = true;
    }
    m_stop.notify_all();
    m_sweeper.join();
  }
  HotEntries(const HotEntries&) = delete;
  HotEntries& operator=(const HotEntries&) = delete;

  // `generation`: the source's generation now; an entry read at another one is dropped.
  std::optional<Entry> find(const std::string& key, std::uint64_t generation = 0) {
    std::lock_guard lock(m_mutex);
    const auto it = m_entries.find(key);
    if (it == m_entries.end()) return std::nullopt;
    if (it->second.generation != generation ||
        std::chrono::steady_clock::now() - it->second.loaded > k_ttl) {
      m_entries.erase(it);
      return std::nullopt;
    }
    return it->second.entry;
  }

  // `generation`: the source's generation read before `entry` was read from it.
  void put(const std::string& key, Entry entry, std::uint64_t generation = 0) {
    std::lock_guard lock(m_mutex);
    if (m_capacity == 0) return;
    if (m_entries.size() >= m_capacity) m_entries.clear();  // a bound, not an LRU
    m_entries.insert_or_assign(key, Slot{std::move(entry), std::chrono::steady_clock::now(), generation});
  }

  bool empty() const {
    std::lock_guard lock(m_mutex);
    return m_entries.empty();
  }

  // Runs `open` (a store read that opens a descriptor). If it fails with Errc::io, out of
  // descriptors most likely, while entries are held, they are let go and it runs once more:
  // a burst of distinct hits must not turn into 500s (issue 14). `freed` (if set) is told.
  template <typename Open> auto open_freeing(const Open& open, const std::function<void()>& freed = {}) {
    auto opened = open();
    if (!opened && opened.error().code == util::Errc::io && clear() > 0) {
      if (freed) freed();
      opened = open();
    }
    return opened;
  }

  // Drops every entry; returns how many there were.
  std::size_t clear() {
    std::unordered_map<std::string, Slot> dropped;
    {
      std::lock_guard lock(m_mutex);
      dropped.swap(m_entries);
    }
    return dropped.size();  // closed here, outside the lock
  }

  void erase(const std::string& key) {
    std::lock_guard lock(m_mutex);
    m_entries.erase(key);
  }

private:
  struct Slot {
    Entry entry;
    std::chrono::steady_clock::time_point loaded;
    std::uint64_t generation = 0;
  };

  void sweep_loop() {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
      m_stop.wait_for(lock, k_ttl);
      const auto now = std::chrono::steady_clock::now();
      std::erase_if(m_entries, [&](const auto& item) { return now - item.second.loaded > k_ttl; });
    }
  }

  const std::size_t m_capacity;
  mutable std::mutex m_mutex;
  std::condition_variable m_stop;
  bool m_stopping = false;
  std::unordered_map<std::string, Slot> m_entries;
  std::thread m_sweeper;  // last: it starts in the constructor and uses the members above
};

} // namespace cache
