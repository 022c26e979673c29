// A hard bound on a store's bytes on disk (--max-size): every byte a blob writer appends is
// reserved first, and a reservation that does not fit evicts least recently used blobs that
// nobody has open. Open blobs are never evicted, so when they alone fill the bound the write
// fails instead: the store never grows past the bound, not even while files are open (the
// trap of caches that evict only when a file is closed).
//
// Counted: blob files and temp files (partial bodies). Per process: two processes bounding
// one store each count only their own writes.
#pragma once

#include "util/result.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>

namespace store {

class SpaceBudget {
public:
  // Frees at least `want` bytes if it can, least recently used first, skipping open blobs;
  // returns the bytes freed.
  using Evict = std::function<util::Result<std::uint64_t>(std::uint64_t want)>;

  SpaceBudget(std::uint64_t bound, std::uint64_t used, Evict evict)
      : m_bound(bound), m_used(used), m_evict(std::move(evict)) {}

  // Safe from any thread. Errc::io with a one-line reason when the bytes cannot fit.
  util::Result<void> reserve(std::uint64_t bytes);
  void release(std::uint64_t bytes);

  std::uint64_t bound() const { return m_bound; }
  std::uint64_t used() const { return m_used.load(); }
  std::uint64_t evicted_blobs() const { return m_evicted_blobs.load(); }
  std::uint64_t evicted_bytes() const { return m_evicted_bytes.load(); }
  void count_evicted(std::uint64_t blobs, std::uint64_t bytes) {
    m_evicted_blobs += blobs;
    m_evicted_bytes += bytes;
  }

private:
  bool try_take(std::uint64_t bytes);

  const std::uint64_t m_bound;
  std::atomic<std::uint64_t> m_used;
  std::atomic<std::uint64_t> m_evicted_blobs{0};
  std::atomic<std::uint64_t> m_evicted_bytes{0};
  Evict m_evict;
  std::mutex m_evicting;  // one eviction pass at a time
};

} // namespace store
