// What a BlobWriter has done behind its writing thread once a body is large: the bytes just
// written are hashed on a thread of their own, and their writeback to disk is started as
// they go (sync_file_range), so the receiving thread only receives and writes, and commit()
// neither hashes nor waits for the whole body to reach the disk (issue 17: a cold miss of
// 1 GiB spent a third of its fetching thread in SHA-256 and ended on a 0.5 s fsync).
//
// Durability is not its job: commit() still fsyncs before it names the blob (DESIGN.md,
// "Trust"); the early writeback only leaves that fsync little to do.
#pragma once

#include "util/sha256.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace store {

// Used by one writing thread (written(), finish()); its own thread does the rest.
class WriteBehind {
public:
  // Goes on from `hasher`, which holds the first `offset` bytes of the file `fd` (kept open
  // by the caller for this object's life). Null when no thread can start: the caller keeps
  // hashing inline, and `hasher` is left as it was.
  static std::unique_ptr<WriteBehind> start(int fd, util::Sha256Hasher& hasher,
                                            std::uint64_t offset);
  // Stops the thread; bytes not hashed yet are dropped (the writer is being abandoned).
  ~WriteBehind();
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // `data` was just written to the file, after every byte given before: hashed later, from a
  // copy. Blocks while the thread is k_queue blocks behind, so memory stays bounded.
  void written(std::span<const std::uint8_t> data);
  // Waits until every byte given is hashed; the digest of them all (the hasher's bytes first).
  util::Sha256 finish();

  static constexpr std::size_t k_block = 512 * 1024;
  static constexpr std::size_t k_queue = 4;
  // Writeback is started once this many bytes are hashed and not yet sent towards the disk.
  static constexpr std::uint64_t k_writeback_step = 8u << 20;

private:
  WriteBehind(int fd, std::uint64_t offset) : m_fd(fd), m_offset(offset), m_synced(offset) {}
  void run();
  void submit();  // hands m_filling to the thread

  const int m_fd;
  std::vector<std::uint8_t> m_filling;  // the writing thread's block being filled

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<std::vector<std::uint8_t>> m_full;  // blocks waiting for the thread, in order
  std::vector<std::vector<std::uint8_t>> m_spare;
  bool m_busy = false;      // the thread holds a block
  bool m_stopping = false;
  util::Sha256Hasher m_hasher;  // the thread's while it runs a block, else under m_mutex
  std::uint64_t m_offset;   // bytes hashed (the thread's)
  std::uint64_t m_synced;   // bytes whose writeback was started (the thread's)
  std::thread m_thread;
};

} // namespace store
