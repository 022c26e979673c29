#include "mount/file_reads.hpp"

#include "cache/content_fill.hpp"
#include "cache/remote_source.hpp"
#include "util/file.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>

namespace mount {

FileReads::FileReads(store::Store& store, remote::RemoteTier* remote, cache::Fetches* fetches,
                     util::Metrics& metrics, std::function<void(const std::string&)> notice)
    : m_store(store), m_remote(remote), m_fetches(fetches), m_metrics(metrics), m_notice(notice),
      m_recording(metrics, notice) {}

// The local tier, then the remote one: the order Tiers keeps for requests, for a file whose
// row the mount already holds (so only its body is looked for).
util::Result<std::unique_ptr<OpenFile>> FileReads::open(const store::HubObject& object) {
  auto file = std::make_unique<OpenFile>(OpenFile{object, nullptr, nullptr});
  auto local = m_store.blobs().open(object.blob);
  if (!local) return tl::unexpected(local.error());
  if (*local) {
    file->local = std::make_shared<const store::BlobReader>(std::move(**local));
    m_metrics.counter("hubcache_requests_total", "Responses by cache result", {{"cache", "hit"}}).add();
    // The file is known locally now, if only from the bucket: index it for LRU and for gc.
    if (auto known = m_store.index().find_hub_object(object.key); known && !*known) {
      m_recording.noted(m_store.put(*file->local, object), "blob " + object.blob.hex());
    }
    return file;
  }
  if (!m_remote || !m_fetches) {
    return util::fail(util::Errc::offline_miss, "blob " + object.blob.hex() + " is not in the store");
  }
  m_metrics.counter("hubcache_requests_total", "Responses by cache result", {{"cache", "remote"}}).add();
  const cache::Content content{object.blob, object.size, [this, object](const store::BlobReader& body) {
                                 return m_store.put(body, object);
                               }};
  auto filling = cache::fill_content(*m_fetches, m_store, m_recording, content,
                                     cache::remote_source(*m_remote, object.blob), {});
  file->local = std::move(filling.stored);
  file->flight = std::move(filling.follower);
  if (!file->local && !file->flight) return util::fail(util::Errc::io, "too many fills from the bucket at once");
  return file;
}

namespace {

bool passed(const http::GrowingBody::State& state, std::uint64_t need) {
  return state.complete || state.failed || state.available >= need;
}

// A reader waiting for the fill to pass `need`. The fill's wake-ups (one per batch of bytes)
// are judged on the fetching thread, which re-arms the watch until the fill has passed the
// read's end: the reader's thread wakes once per read, not once per batch (a read ahead of
// the fill, as an mmap's page faults make, spans many batches).
class PastWaiter : public std::enable_shared_from_this<PastWaiter> {
public:
  PastWaiter(cache::Follower& flight, std::uint64_t need) : m_flight(flight), m_need(need) {}

  // Called by the reader once, then from the fill's wake-ups; when_changed() calls back at
  // once if the state moved meanwhile.
  void arm() {
    const auto state = m_flight.state();
    if (passed(state, m_need)) {
      std::lock_guard lock(m_mutex);
      m_done = state;
      m_changed.notify_one();
      return;
    }
    m_flight.when_changed(state, [self = shared_from_this()] { self->arm(); });
  }

  // The state that passed `need` (or ended the fill), once there is one.
  http::GrowingBody::State wait() {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_done.has_value(); });
    return *m_done;
  }

private:
  cache::Follower& m_flight;  // the reader's, held while it waits
  const std::uint64_t m_need;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::optional<http::GrowingBody::State> m_done;
};

http::GrowingBody::State wait_past(cache::Follower& flight, std::uint64_t need) {
  auto waiter = std::make_shared<PastWaiter>(flight, need);
  waiter->arm();
  return waiter->wait();
}

} // namespace

util::Result<std::optional<Extent>> FileReads::extent(OpenFile& file, std::size_t size,
                                                      std::uint64_t offset) {
  const std::uint64_t total = file.object.size;
  if (offset >= total || size == 0) return Extent{};
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size, total - offset));
  const std::uint64_t need = offset + want;
  if (file.local) {
    // A blob shorter than its row says is corrupt, not a short read.
    if (file.local->size() < need) {
      return util::fail(util::Errc::corrupt, "blob " + file.object.blob.hex() + " is shorter than its size");
    }
    return Extent{file.local->fd(), offset, want};
  }
  auto& flight = *file.flight;
  auto state = flight.state();
  if (!state.complete && !state.failed && offset > state.available + k_direct_read_distance && m_remote) {
    return std::nullopt;
  }
  if (!passed(state, need)) state = wait_past(flight, need);
  if (state.failed || (state.complete && state.available < need)) {
    return util::fail(util::Errc::upstream_unreachable,
                      "filling blob " + file.object.blob.hex() + " from " + m_remote->describe() + " failed");
  }
  return Extent{flight.fd(), offset, want};
}

util::Result<std::size_t> FileReads::read(OpenFile& file, std::span<std::uint8_t> out, std::uint64_t offset) {
  auto where = extent(file, out.size(), offset);
  if (!where) return tl::unexpected(where.error());
  if (!*where) {
    // Far ahead of the fill: ask the bucket for just this range.
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), file.object.size - offset));
    std::size_t done = 0;
    while (done < want) {
      auto n = m_remote->read_blob_range(file.object.blob, offset + done, out.subspan(done, want - done));
      if (!n) return tl::unexpected(n.error());
      if (*n == 0) return util::fail(util::Errc::corrupt, "the bucket's blob " + file.object.blob.hex() + " is short");
      done += *n;
    }
    return done;
  }
  const Extent& at = **where;
  std::size_t done = 0;
  while (done < at.length) {
    auto n = util::read_at(at.fd, out.subspan(done, at.length - done), at.offset + done);
    if (!n) return tl::unexpected(n.error());
    if (*n == 0) {
      return util::fail(file.local ? util::Errc::corrupt : util::Errc::io,
                        file.local ? "blob " + file.object.blob.hex() + " is shorter than its size"
                                   : "a filling blob is shorter than it said");
    }
    done += *n;
  }
  return done;
}

} // namespace mount
