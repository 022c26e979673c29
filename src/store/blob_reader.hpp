// An open, pinned blob: a descriptor and its size, kept alive (never evicted) while this
// object lives. Later served with sendfile and Range.
#pragma once

#include "util/file.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <span>

namespace store {

// Movable, not copyable. Reading is safe from several threads (pread).
class BlobReader {
public:
  BlobReader(util::UniqueFd fd, std::uint64_t size, const util::Sha256& digest)
      : m_fd(std::move(fd)), m_size(size), m_digest(digest) {}

  int fd() const { return m_fd.get(); }
  std::uint64_t size() const { return m_size; }
  const util::Sha256& digest() const { return m_digest; }

  // Up to `buffer.size()` bytes at `offset`; 0 at the end.
  util::Result<std::size_t> read_at(std::span<std::uint8_t> buffer, std::uint64_t offset) const {
    return util::read_at(m_fd.get(), buffer, offset);
  }

private:
  util::UniqueFd m_fd; // holds the pin (flock LOCK_SH), see blob_lock.hpp
  std::uint64_t m_size;
  util::Sha256 m_digest;
};

} // namespace store
