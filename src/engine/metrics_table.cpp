#include "engine/metrics_table.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace engine {

namespace {

using enum MetricType;

// Keep sorted by name (find_metric searches it in halves; a unit test checks the order).
constexpr MetricSpec k_metrics[] = {
    {"hubcache_bad_requests_total", counter, "Requests refused as malformed or too large"},
    {"hubcache_client_timeouts_total", counter, "Connections closed because the client was too slow"},
    {"hubcache_connections_refused_total", counter, "Connections refused over the cap"},
    {"hubcache_evicted_blobs", gauge, "Blobs evicted (least recently used) to stay under the bound"},
    {"hubcache_evicted_bytes", gauge, "Bytes evicted to stay under the bound"},
    {"hubcache_fetch_queue_full_total", counter,
     "Requests refused with 503 because every fetch slot and the queue were taken"},
    {"hubcache_fetches_cancelled_total", counter,
     "Fetches ended, or dropped before they started, because no client waited for them"},
    {"hubcache_fetches_queued", gauge, "Fetches waiting for a free fetching thread"},
    {"hubcache_fetches_running", gauge, "Fetches running (at most --max-fetches)"},
    {"hubcache_hot_entries_dropped_total", counter, "Times the hot entries were dropped to free descriptors"},
    {"hubcache_integrity_failures_total", counter, "Upstream bodies refused: wrong length or sha256"},
    {"hubcache_internal_errors_total", counter,
     "Requests whose handler failed with an exception (answered 500)"},
    {"hubcache_local_bound_bytes", gauge, "The local tier's bound (--max-size)"},
    {"hubcache_local_bytes", gauge, "Bytes the local tier holds on disk (blobs and partial bodies)"},
    {"hubcache_lookup_queue_full_total", counter,
     "Requests refused with 503 because every remote-tier lookup thread and its queue were taken"},
    {"hubcache_lookups_queued", gauge, "Requests waiting for a free lookup thread (the remote tier)"},
    {"hubcache_lookups_running", gauge, "Requests waiting on the remote tier on a lookup thread"},
    {"hubcache_remote_backend_failed", gauge,
     "1 while the remote backend is marked failed and skipped (its cool-down), else 0"},
    {"hubcache_remote_backend_failed_total", counter,
     "Times the remote backend was marked failed (unreachable, timed out or 5xx after the retries) and "
     "skipped for a cool-down (--remote-cool-down)"},
    {"hubcache_remote_bytes_total", counter, "Body bytes read from the remote tier"},
    {"hubcache_remote_errors_total", counter, "Remote-tier requests that failed"},
    {"hubcache_remote_lookups_shared_total", counter,
     "Remote-tier lookups that waited for the same lookup under way instead of asking the bucket again"},
    {"hubcache_remote_request_ms_total", counter,
     "Milliseconds spent in remote-tier row requests (divide by the count)"},
    {"hubcache_remote_requests_total", counter, "Requests to the remote tier (S3)"},
    {"hubcache_replay_misses_total", counter, "Requests replay mode could not answer"},
    {"hubcache_requests_total", counter, "Responses by cache result"},
    {"hubcache_served_bytes_total", counter, "Body bytes sent to clients, by where they came from"},
    {"hubcache_stale_answers_total", counter,
     "Refresh mode answers from the store because the upstream failed"},
    {"hubcache_store_blobs", gauge, "Blobs in the store"},
    {"hubcache_store_bytes", gauge, "Bytes of blobs in the store"},
    {"hubcache_store_errors_total", counter, "Store reads or writes that failed"},
    {"hubcache_store_exchanges", gauge, "Recorded exchanges"},
    {"hubcache_store_hub_objects", gauge, "Hub objects"},
    {"hubcache_tunnel_handshake_failures_total", counter, "CONNECT tunnels whose client TLS handshake failed"},
    {"hubcache_unsafe_headers_dropped_total", counter,
     "Response headers not written: a name that is no token, or a control character (CR, LF, NUL...) "
     "in the value"},
    {"hubcache_upstream_bytes_total", counter, "Body bytes received from upstreams"},
    {"hubcache_upstream_failures_total", counter, "Requests the upstream could not answer"},
    {"hubcache_upstream_requests_total", counter, "Requests sent upstream, retries and redirect hops included"},
    {"hubcache_upstream_retries_total", counter, "Upstream requests retried after 429/5xx or a broken transfer"},
};

} // namespace

std::span<const MetricSpec> metrics_table() { return k_metrics; }

const MetricSpec* find_metric(std::string_view name) {
  const auto it = std::lower_bound(std::begin(k_metrics), std::end(k_metrics), name,
                                   [](const MetricSpec& spec, std::string_view n) { return spec.name < n; });
  return it != std::end(k_metrics) && it->name == name ? &*it : nullptr;
}

std::string_view metric_help(std::string_view name) {
  const MetricSpec* spec = find_metric(name);
  if (!spec) throw std::logic_error("metric " + std::string(name) + " is not in engine/metrics_table.cpp");
  return spec->help;
}

} // namespace engine
