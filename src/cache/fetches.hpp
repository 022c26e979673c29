// One upstream fetch per key (DESIGN.md): joins a fetch in flight or starts one on a thread
// of its own, and forgets the key once the fetch has been recorded.
#pragma once

#include "cache/in_flight.hpp"
#include "store/store.hpp"
#include "upstream/fetcher.hpp"

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace cache {

// Something a person should see (a replay miss, a failed store), one line.
using Notice = std::function<void(const std::string&)>;

// Safe from any thread. The destructor waits for the fetch threads (raise the fetcher's
// stop signal first to make that quick).
class Fetches {
public:
  // Runs on the fetching thread once the transfer ended well and the head is known: records
  // what came (or not), then calls flight.finish() or flight.fail(). The key stays taken
  // until it returns, so a request arriving meanwhile joins rather than fetches again.
  using Record = std::function<void(InFlight& flight, const upstream::ResponseHead& head,
                                    std::int64_t upstream_ms)>;

  Fetches(store::Store& store, upstream::Fetcher& fetcher, Notice notice);
  ~Fetches();

  // The fetch in flight for `key`, or null.
  std::shared_ptr<InFlight> find(const std::string& key);
  // Joins the fetch for `key`, or starts `request` and later runs `record`. Null if the store
  // cannot take a new blob (the reason goes to the notice).
  std::shared_ptr<InFlight> join_or_start(const std::string& key, upstream::FetchRequest request,
                                          Record record);

  // The same, closing the gap between a caller's store lookup and this call: a fetch for the
  // key may have ended and been recorded in between. When no fetch is in flight,
  // `stored_meanwhile` runs under the lock that also guards the end of every fetch; if it
  // says the answer is now stored, nothing starts and `stored` is set: look again.
  struct Joined {
    std::shared_ptr<InFlight> flight;
    bool stored = false;
  };
  // With `resumable` (the sha256 the body must have), the body goes to a partial file that
  // outlives an interrupted fetch, and a fetch finding one asks only for the rest.
  Joined join_or_start(const std::string& key, upstream::FetchRequest request, Record record,
                       const std::function<bool()>& stored_meanwhile,
                       const std::optional<util::Sha256>& resumable = std::nullopt);
  // Waits until no fetch is running.
  void wait_idle();

private:
  void run(std::shared_ptr<InFlight> flight, upstream::FetchRequest request, Record record);

  store::Store& m_store;
  upstream::Fetcher& m_fetcher;
  Notice m_notice;
  std::mutex m_mutex;
  std::condition_variable m_idle;
  std::map<std::string, std::shared_ptr<InFlight>> m_in_flight;
  int m_threads = 0;
};

} // namespace cache
