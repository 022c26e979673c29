// The bounded pool where requests wait on the remote tier, so that a server's threads never
// do (issue 18): a request that needs the bucket (a local miss with a remote tier, a ref or a
// listing the tier does not hold in memory) is handed to a lookup thread, which runs it again
// from the start and answers from there. A local hit never comes here.
#pragma once

#include "cache/fetches.hpp"
#include "http/message.hpp"
#include "util/metrics.hpp"
#include "util/worker_pool.hpp"

#include <cstddef>
#include <functional>

namespace cache {

struct LookupsOptions {
  // Requests waiting on the bucket at once: each holds a thread for a round trip or a few.
  std::size_t threads = 32;
  // Requests waiting for a lookup thread; more are answered 503 with Retry-After at once
  // (waiting without a bound would be the unbounded queue the pool exists to avoid, and
  // running them on the server's thread would block it again).
  std::size_t queue = 1024;
};

// Safe from any thread. The constructor throws std::system_error when the threads cannot
// start (a start-up failure). The destructor runs the requests still queued and joins: stop
// the remote tier's requests first (its stop signal) to make that quick.
class Lookups {
public:
  using Job = std::function<void(http::Respond)>;

  Lookups(LookupsOptions options, util::Metrics& metrics, Notice notice);

  // Whether the calling thread is a lookup thread (of any Lookups), where waiting on the
  // bucket is what it is for.
  static bool on_lookup_thread();

  // Runs `job(respond)` on a lookup thread; when every thread is busy and the queue is full,
  // answers `respond` 503 at once (counted in hubcache_lookup_queue_full_total). A job that
  // throws (a bug) costs its request a 500, as on the server's threads (http/connection.cpp).
  void run(http::Respond respond, Job job);

  std::size_t running() const { return m_pool.running(); }
  std::size_t queued() const { return m_pool.queued(); }

private:
  void failed(const http::Respond& respond, const std::string& what);

  Notice m_notice;
  util::Counter& m_full;
  util::Counter& m_internal_errors;
  util::WorkerPool m_pool; // last: its threads use the members above until it is gone
};

} // namespace cache
