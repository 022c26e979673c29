// One upstream fetch in flight, shared by every client that asks for the same key: the
// fetcher writes the body into a temp blob; clients follow the growing file as bytes land
// (DESIGN.md: "one upstream fetch per key; everyone else is fed from the growing file").
#pragma once

#include "http/message.hpp"
#include "store/blob_reader.hpp"
#include "store/blob_writer.hpp"
#include "upstream/fetcher.hpp"
#include "util/file.hpp"
#include "util/result.hpp"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cache {

// Safe from any thread. The fetching thread calls the FetchSink methods and one finish_*;
// clients read through the GrowingBody methods and wait_for_head().
class InFlight final : public http::GrowingBody, public upstream::FetchSink {
public:
  // `writer` receives the body; `read_fd` is its temp file, opened for reading.
  InFlight(std::string key, store::BlobWriter writer, util::UniqueFd read_fd);

  const std::string& key() const { return m_key; }

  // Calls `ready` once: with the upstream's head, or with the error that came first.
  using HeadWaiter = std::function<void(const upstream::ResponseHead*, const util::Error*)>;
  void wait_for_head(HeadWaiter ready);

  // Calls `ended` once, when the body is whole (true) or never will be (false); at once if
  // that is already known.
  void wait_for_end(std::function<void(bool whole)> ended);

  // The body writer, for the fetching thread to commit at the end.
  store::BlobWriter& writer() { return m_writer; }
  std::optional<upstream::ResponseHead> head() const;
  std::uint64_t received() const;

  // The whole body is there (and verified, if `pinned` is set: then it is also the stored
  // blob, kept from eviction while clients read it).
  void finish(std::optional<store::BlobReader> pinned, std::int64_t upstream_ms);
  // The body will never be whole: clients are cut off, waiters get `error`.
  void fail(const util::Error& error);

  // upstream::FetchSink
  void on_head(const upstream::ResponseHead& head) override;
  util::Result<void> on_body(std::span<const std::uint8_t> bytes) override;
  util::Result<void> restart() override;

  // http::GrowingBody. Until finish(), the last byte received is held back, so no client
  // sees a whole body that later fails its size or hash check.
  int fd() const override { return m_read_fd.get(); }
  State state() const override;
  void when_changed(const State& seen, std::function<void()> wake) override;
  std::optional<std::int64_t> upstream_ms() const override;

private:
  State state_locked() const;
  void notify_locked(std::vector<std::function<void()>>& out);

  const std::string m_key;
  store::BlobWriter m_writer;
  const util::UniqueFd m_read_fd;

  mutable std::mutex m_mutex;
  std::optional<upstream::ResponseHead> m_head;
  std::optional<util::Error> m_error;
  std::uint64_t m_received = 0;
  // Followers are woken per batch of body bytes, not per chunk curl hands over (16 KiB TLS
  // records): a wake-up per record cost more than the bytes (see bench/README.md).
  std::uint64_t m_woken_at_bytes = 0;
  std::chrono::steady_clock::time_point m_woken_at{};
  bool m_complete = false;
  std::optional<store::BlobReader> m_pinned;
  std::optional<std::int64_t> m_upstream_ms;
  std::vector<HeadWaiter> m_head_waiters;
  std::vector<std::function<void(bool)>> m_end_waiters;
  std::vector<std::pair<State, std::function<void()>>> m_watchers;
};

} // namespace cache
