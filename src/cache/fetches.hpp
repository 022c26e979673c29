// One upstream fetch per key (DESIGN.md): joins a fetch in flight or queues one for a fixed
// pool of fetching threads, and forgets the key once the fetch has been recorded. The pool
// and its queue are the bound on upstream transfers (--max-fetches, --fetch-queue).
#pragma once

#include "cache/follower.hpp"
#include "cache/in_flight.hpp"
#include "store/store.hpp"
#include "upstream/fetcher.hpp"
#include "util/metrics.hpp"
#include "util/worker_pool.hpp"

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace cache {

// Something a person should see (a replay miss, a failed store), one line.
using Notice = std::function<void(const std::string&)>;

struct FetchesOptions {
  std::size_t workers = 32;  // fetches running at once (--max-fetches)
  std::size_t queue = 256;   // fetches waiting for a worker; more are refused (--fetch-queue)
  // The least any fetch is kept for: Keep::until_done for preload's engine, whose fetches
  // are the point even if its client gives up on one.
  Keep keep = Keep::while_wanted;
  // Where cancelled fetches are counted (hubcache_fetches_cancelled_total); null: nowhere.
  util::Metrics* metrics = nullptr;
};

// Safe from any thread. The constructor throws std::system_error when the pool's threads
// cannot start (a start-up failure). The destructor waits for the fetches queued and running
// (raise the fetcher's stop signal first to make that quick).
class Fetches {
public:
  // Runs on the fetching thread once the transfer ended well and the head is known: records
  // what came (or not), then calls flight.finish() or flight.fail(). The key stays taken
  // until it returns, so a request arriving meanwhile joins rather than fetches again.
  using Record = std::function<void(InFlight& flight, const upstream::ResponseHead& head,
                                    std::int64_t upstream_ms)>;

  Fetches(store::Store& store, upstream::Transport& fetcher, Notice notice,
          FetchesOptions options = {});
  ~Fetches();

  // Follows the fetch in flight for `key` as `client`, or null when there is none.
  std::shared_ptr<Follower> follow(const std::string& key, const Client& client);

  struct Joined {
    // The client's hold on the fetch; null when `stored`, or when the fetch queue is full
    // (answer 503: see fetch_queue_full()).
    std::shared_ptr<Follower> follower;
    bool stored = false;
    bool started = false;  // this call queued the fetch (else it joined one in flight)
  };
  // Follows the fetch for `key` as `client`, or queues `request` (recorded by `record`) and
  // follows that. The client's interest counts from here on: a fetch nobody follows any more
  // is cancelled, or dropped before it starts, unless `keep` (or the options) say otherwise.
  // `stored_meanwhile` closes the gap between a caller's store lookup and this call: a fetch
  // for the key may have ended and been recorded in between. When no fetch is in flight, it
  // runs under the lock that also guards the end of every fetch; if it says the answer is
  // now stored, nothing starts and `stored` is set: look again.
  // With `resumable` (the sha256 the body should have), the body goes to a partial file that
  // outlives an interrupted fetch, and a fetch finding one asks only for the rest.
  Joined join_or_start(const std::string& key, const Client& client, upstream::FetchRequest request,
                       Record record, const std::function<bool()>& stored_meanwhile = {},
                       const std::optional<util::Sha256>& resumable = std::nullopt,
                       Keep keep = Keep::while_wanted);
  // Waits until no fetch is queued or running.
  void wait_idle();

  std::size_t running() const { return m_pool.running(); }
  std::size_t queued() const { return m_pool.queued(); }
  const FetchesOptions& options() const { return m_options; }

private:
  void run(const std::shared_ptr<InFlight>& flight, upstream::FetchRequest request,
           const Record& record, const std::optional<util::Sha256>& resumable);
  void fetch(InFlight& flight, upstream::FetchRequest request, const Record& record,
             const std::optional<util::Sha256>& resumable);
  void count_cancelled();

  store::Store& m_store;
  upstream::Transport& m_fetcher;
  Notice m_notice;
  const FetchesOptions m_options;
  std::mutex m_mutex;
  std::condition_variable m_idle;
  std::map<std::string, std::shared_ptr<InFlight>> m_in_flight;
  std::size_t m_pending = 0;  // fetches queued or running
  util::WorkerPool m_pool;    // last: its threads use the members above until it is gone
};

} // namespace cache
