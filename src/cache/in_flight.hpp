// One upstream fetch in flight, shared by every client that asks for the same key: the
// fetcher writes the body into a temp blob; clients follow the growing file as bytes land
// (DESIGN.md: "one upstream fetch per key; everyone else is fed from the growing file").
// Clients hold it through a Follower (cache/follower.hpp), which is also how the fetch
// knows whether anyone still wants it.
#pragma once

#include "http/message.hpp"
#include "store/blob_reader.hpp"
#include "store/blob_writer.hpp"
#include "upstream/fetcher.hpp"
#include "util/file.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace cache {

// Whether a fetch goes on once no client waits for it (DESIGN.md, "Trust": a fetch nobody
// waits for is cancelled, so abandoned requests cannot pile up upstream transfers).
enum class Keep {
  while_wanted,  // cancelled once no client waits for its head or follows its body
  until_done,    // runs to its end: a remote-tier fill, a preload
};

// Whether the clients' expectations (X-Hubcache-Expect-Sha256) apply to a finished body:
// they vouch for an entity (a 200, a Hub file), not for an error page.
enum class Expectations { apply, ignore };

// Safe from any thread. The fetching thread calls begin(), the FetchSink methods and one of
// finish()/fail(); clients register through add_interest() and read through state(),
// when_changed(), fd() and the waits.
class InFlight final : public upstream::FetchSink {
public:
  using State = http::GrowingBody::State;

  // After its head went out, a fetch is kept this long past its last client: a client that
  // asked HEAD usually comes back for the body at once (huggingface_hub does), and should
  // find this fetch rather than start another.
  static constexpr std::chrono::milliseconds k_linger{2000};

  explicit InFlight(std::string key, Keep keep = Keep::while_wanted,
                    std::chrono::milliseconds linger = k_linger);

  const std::string& key() const { return m_key; }

  // Called once by the fetching thread when the fetch starts (a queued fetch holds no file):
  // `writer` receives the body, `read_fd` is its temp file opened for reading. `resumed_for`:
  // the writer goes on from a partial file kept for that sha256, so it holds bytes of an
  // earlier fetch that only that digest vouches for (see commit()).
  void begin(store::BlobWriter writer, util::UniqueFd read_fd,
             std::optional<util::Sha256> resumed_for);

  // A client's interest: counted while `presence` (null: always) says the client is there,
  // until drop_interest(). `expected`: the sha256 it vouched for, kept to the end (see
  // expectation_violated()). std::nullopt when the fetch was cancelled already: the caller
  // starts another.
  std::optional<std::uint64_t> add_interest(std::shared_ptr<const http::ClientPresence> presence,
                                            const std::optional<util::Sha256>& expected);
  void drop_interest(std::uint64_t id);

  // Calls `ready` once: with the upstream's head, or with the error that came first.
  using HeadWaiter = std::function<void(const upstream::ResponseHead*, const util::Error*)>;
  void wait_for_head(HeadWaiter ready);

  // Calls `ended` once, when the body is whole (true) or never will be (false); at once if
  // that is already known.
  void wait_for_end(std::function<void(bool whole)> ended);

  // The body writer, for the fetching thread (after begin()) to discard at the end.
  store::BlobWriter& writer() { return *m_writer; }
  std::optional<upstream::ResponseHead> head() const;
  std::uint64_t received() const;

  // Commits the body as the blob it is, checked against what the upstream itself claims
  // (`claims`: its length, the sha256 the Hub announced) and never against a client's word:
  // one client's X-Hubcache-Expect-Sha256 must not fail a body others wait for (issue 14).
  // A body that went on from a partial file is also checked against the digest that file
  // was kept for, the only word for its first bytes. Errc::corrupt on a mismatch; the writer
  // is spent either way.
  util::Result<store::BlobReader> commit(store::BlobExpectation claims);
  // Whether a client registered an expectation other than `digest`: then the body is given
  // to everyone else, but not indexed (a preload with a wrong sha256 keeps nothing).
  bool expectation_violated(const util::Sha256& digest) const;

  // The whole body is there (and verified, if `pinned` is set: then it is also the stored
  // blob, kept from eviction while clients read it). With Expectations::apply, a client whose
  // expectation differs from the pinned blob's digest is cut off (see state()).
  void finish(std::optional<store::BlobReader> pinned, std::int64_t upstream_ms,
              Expectations expectations = Expectations::apply);
  // The record callback could not index the answer (the store failed, a client vouched
  // against it): the clients still get the body, but it was not recorded (see unrecorded()).
  void mark_unrecorded() { m_unrecorded = true; }
  bool unrecorded() const { return m_unrecorded; }
  // The body will never be whole: clients are cut off, waiters get `error`. A resumable
  // partial file is kept for a later fetch to go on from.
  void fail(const util::Error& error);

  // upstream::FetchSink. cancelled() is sticky: once it said true, no client joins any more.
  void on_head(const upstream::ResponseHead& head) override;
  util::Result<void> on_body(std::span<const std::uint8_t> bytes) override;
  util::Result<void> restart() override;
  bool cancelled() override;

  // What a client may send, judged by its own `expected` sha256: failed once the body
  // turned out to be another. Until finish(), the last byte received is held back, so no
  // client sees a whole body that later fails a size or hash check.
  State state(const std::optional<util::Sha256>& expected = std::nullopt) const;
  // The temp file, for pread (-1 before begin()); valid while this object lives.
  int fd() const;
  // Calls `wake` once, from any thread, as soon as state(expected) differs from `seen` (at
  // once if it already does).
  void when_changed(const State& seen, const std::optional<util::Sha256>& expected,
                    std::function<void()> wake);
  std::optional<std::int64_t> upstream_ms() const;

private:
  struct Watcher {
    State seen;
    std::optional<util::Sha256> expected;
    std::function<void()> wake;
  };
  State state_locked() const;
  State state_locked(const std::optional<util::Sha256>& expected) const;
  void notify_locked(std::vector<std::function<void()>>& out);

  const std::string m_key;
  const Keep m_keep;
  const std::chrono::milliseconds m_linger;

  std::atomic<bool> m_unrecorded{false};
  mutable std::mutex m_mutex;
  std::optional<store::BlobWriter> m_writer;
  util::UniqueFd m_read_fd;
  std::optional<util::Sha256> m_resumed_for;
  std::optional<upstream::ResponseHead> m_head;
  std::optional<util::Error> m_error;
  std::uint64_t m_received = 0;
  // Followers are woken per batch of body bytes, not per chunk curl hands over (16 KiB TLS
  // records): a wake-up per record cost more than the bytes (see bench/README.md).
  std::uint64_t m_woken_at_bytes = 0;
  std::chrono::steady_clock::time_point m_woken_at{};
  bool m_complete = false;
  std::optional<store::BlobReader> m_pinned;
  std::optional<util::Sha256> m_checked_digest;  // what expectations are held against
  std::optional<std::int64_t> m_upstream_ms;
  std::vector<HeadWaiter> m_head_waiters;
  std::vector<std::function<void(bool)>> m_end_waiters;
  std::vector<Watcher> m_watchers;
  // Interest: clients by id, the sha256s they vouched for, and since when nobody wants it.
  std::map<std::uint64_t, std::shared_ptr<const http::ClientPresence>> m_interests;
  std::uint64_t m_next_interest = 0;
  std::vector<util::Sha256> m_expectations;
  std::optional<std::chrono::steady_clock::time_point> m_unwanted_since;
  bool m_cancelled = false;
};

} // namespace cache
