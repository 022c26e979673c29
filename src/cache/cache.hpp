// The cache core: one class that knows the order of the tiers (the local store, then the
// upstream) and what each mode does on a hit and a miss. It answers with plain values; the
// HTTP layer turns them into bytes.
#pragma once

#include "cache/in_flight.hpp"
#include "cache/mode.hpp"
#include "http/message.hpp"
#include "store/store.hpp"
#include "upstream/fetcher.hpp"
#include "util/metrics.hpp"

#include <chrono>
#include <condition_variable>
#include <unordered_map>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace cache {

struct CacheOptions {
  Mode mode = Mode::record;
  std::vector<std::string> ignored_query;  // parameter names left out of keys
  // How to record a miss, for the replay-mode message: "hubcache serve --mode record ...".
  std::string record_hint = "run hubcache with --mode record while online";
};

// Something a person should see (a replay miss, a failed store), one line.
using Notice = std::function<void(const std::string&)>;

// Safe from any thread. Fetches run on threads of their own; stop() ends them.
class Cache {
public:
  Cache(CacheOptions options, store::Store& store, upstream::Fetcher& fetcher,
        util::Metrics& metrics, Notice notice);
  ~Cache();

  // Answers a GET or HEAD of `url` (the upstream URL the request maps to), calling `respond`
  // once. Credentials in `request` are forwarded upstream and scope the key, never stored.
  void handle(const http::Request& request, const upstream::Url& url, http::Respond respond);

  // Aborts fetches in flight (their clients are cut off) and waits for their threads.
  void stop();

  Mode mode() const { return m_options.mode; }

private:
  // An entry with its body open and pinned, shared by the responses that send it.
  struct Stored {
    std::shared_ptr<const store::Exchange> entry;
    std::shared_ptr<const store::BlobReader> body;  // null: no body
  };
  std::shared_ptr<InFlight> join_or_start(const std::string& key, const std::string& method,
                                          const upstream::FetchRequest& fetch, bool& started);
  void run_fetch(std::shared_ptr<InFlight> flight, upstream::FetchRequest fetch,
                 std::string method, std::string url);
  void record(InFlight& flight, const upstream::ResponseHead& head, const std::string& method,
              const std::string& url, std::int64_t upstream_ms);
  std::optional<Stored> lookup(const std::string& key, const std::string& fallback_key);
  http::Response from_store(const Stored& stored, std::string cache_result);
  http::Response from_upstream(const std::shared_ptr<InFlight>& flight,
                               const upstream::ResponseHead& head, bool head_only);
  http::Response replay_miss(const std::string& method, const std::string& url);
  http::Response upstream_error(const util::Error& error);

  CacheOptions m_options;
  store::Store& m_store;
  upstream::Fetcher& m_fetcher;
  util::Metrics& m_metrics;
  Notice m_notice;
  std::string m_salt;

  // Entries used recently, kept with their bodies open, so a hot hit costs no index query
  // and no open(2). An entry is trusted for k_hot_ttl: another process may replace or try to
  // evict it meanwhile, and this bounds how long it goes unnoticed (the sweeper drops idle
  // entries, so a pin never outlives its last use by much more). Recording a key drops it.
  static constexpr std::chrono::milliseconds k_hot_ttl{1000};
  struct HotEntry {
    Stored stored;
    std::chrono::steady_clock::time_point loaded;
  };
  std::optional<Stored> lookup_hot(const std::string& key);
  void sweep_hot_loop();
  std::mutex m_hot_mutex;
  std::condition_variable m_hot_stop;
  bool m_hot_stopping = false;
  std::unordered_map<std::string, HotEntry> m_hot;
  std::thread m_hot_sweeper;

  std::mutex m_mutex;
  std::condition_variable m_idle;
  std::map<std::string, std::shared_ptr<InFlight>> m_in_flight;
  int m_threads = 0;
};

// Whether an upstream answer is recorded: everything but server errors, throttling,
// timeouts and partial content. A 404 is knowledge too (clients probe for files).
bool is_storable_status(int status);

} // namespace cache
