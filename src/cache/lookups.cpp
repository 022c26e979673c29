#include "cache/lookups.hpp"

#include <exception>
#include <thread>
#include <utility>

namespace cache {
namespace {

thread_local bool t_lookup_thread = false;

} // namespace

Lookups::Lookups(LookupsOptions options, util::Metrics& metrics, Notice notice)
    : m_notice(std::move(notice)),
      m_full(metrics.counter("hubcache_lookup_queue_full_total",
                             "Requests refused with 503 because every remote-tier lookup thread "
                             "and its queue were taken")),
      m_internal_errors(
          metrics.counter("hubcache_internal_errors_total",
                          "Requests whose handler failed with an exception (answered 500)")),
      m_pool(options.threads, options.queue, {}, [](std::function<void()> body) {
        return std::thread([body = std::move(body)] {
          t_lookup_thread = true;
          body();
        });
      }) {}

bool Lookups::on_lookup_thread() {
  return t_lookup_thread;
}

void Lookups::failed(const http::Respond& respond, const std::string& what) {
  m_internal_errors.add();
  if (m_notice) m_notice("internal error answering a request on a lookup thread: " + what);
  // Dropped if the job had answered before it threw: a request is answered once.
  respond(http::Response::text(500, "hubcache: internal error (see the server's log)\n"));
}

void Lookups::run(http::Respond respond, Job job) {
  auto shared = std::make_shared<http::Respond>(std::move(respond));
  const bool posted = m_pool.try_post([this, shared, job = std::move(job)] {
    try {
      job(*shared);
    } catch (const std::exception& error) {
      failed(*shared, error.what());
    } catch (...) {
      failed(*shared, "an unknown exception");
    }
  });
  if (posted) return;
  m_full.add();
  auto response = http::Response::text(
      503, "hubcache: too many requests waiting on the remote tier; retry shortly\n");
  response.headers.emplace_back("Retry-After", "1");
  response.cache = "miss";
  (*shared)(std::move(response));
}

} // namespace cache
