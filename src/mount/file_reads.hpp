// The bytes behind a mounted file: the local blob if the store has it; else a fill from the
// remote tier, started on open (one per blob per process, verified before it is indexed)
// and read as it grows. A read far ahead of the fill goes to the bucket by range instead of
// waiting. A read never returns fewer bytes than asked unless at the end of the file: a
// failure is an error (EIO), never a short read.
#pragma once

#include "cache/fetches.hpp"
#include "cache/recording.hpp"
#include "remote/remote_tier.hpp"
#include "store/store.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>

namespace mount {

// A file open for reading: its local blob, or the fill that brings it.
struct OpenFile {
  store::HubObject object;
  std::shared_ptr<const store::BlobReader> local;
  std::shared_ptr<cache::Follower> flight;
};

// Where bytes of an open file can be read right now: `length` bytes at `offset` of `fd`, a
// descriptor that stays valid while the OpenFile lives (the local blob, or the fill's partial
// file). For a reply that splices them straight to the kernel (fuse_mount.cpp).
struct Extent {
  int fd = -1;
  std::uint64_t offset = 0;
  std::size_t length = 0;
};

// Safe from any thread.
class FileReads {
public:
  FileReads(store::Store& store, remote::RemoteTier* remote, cache::Fetches* fetches,
            util::Metrics& metrics, std::function<void(const std::string&)> notice);

  // Errc::offline_miss: neither tier has the body.
  util::Result<std::unique_ptr<OpenFile>> open(const store::HubObject& object);
  util::Result<std::size_t> read(OpenFile& file, std::span<std::uint8_t> out, std::uint64_t offset);
  // The bytes [offset, offset + size) (cut at the end of the file) as an Extent, once they
  // are there: a read waits until the fill has passed its end (woken as the fill grows, not
  // per chunk it receives), never for the whole blob; the same errors as read(). nullopt:
  // the range is far ahead of the fill (k_direct_read_distance), for read() to ask the
  // bucket for. An empty Extent at or past the end.
  util::Result<std::optional<Extent>> extent(OpenFile& file, std::size_t size, std::uint64_t offset);

private:
  store::Store& m_store;
  remote::RemoteTier* m_remote;
  cache::Fetches* m_fetches;
  util::Metrics& m_metrics;
  std::function<void(const std::string&)> m_notice;
  cache::Recording m_recording;
};

// Reads ahead of a fill by more than this go straight to the bucket.
inline constexpr std::uint64_t k_direct_read_distance = 16ull << 20;

} // namespace mount
