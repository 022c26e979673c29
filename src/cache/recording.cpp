#include "cache/recording.hpp"

namespace cache {

namespace {

void count_integrity_failure(util::Metrics& metrics) {
  metrics.counter("hubcache_integrity_failures_total", "Upstream bodies refused: wrong length or sha256")
      .add();
}

} // namespace

Recording::Recording(util::Metrics& metrics, Notice notice)
    : m_metrics(metrics), m_notice(std::move(notice)) {}

void Recording::pass_on(InFlight& flight, std::int64_t upstream_ms) {
  // The temp file first: whoever the end wakes may take a partial file it held.
  flight.writer().discard();
  flight.finish(std::nullopt, upstream_ms);
}

void Recording::hand_over(InFlight& flight, std::int64_t upstream_ms) {
  flight.writer().abort();
  flight.finish(std::nullopt, upstream_ms);
}

std::optional<store::BlobReader> Recording::commit(InFlight& flight, store::BlobExpectation claims,
                                                   const std::string& url) {
  auto committed = flight.commit(claims);
  if (committed) return std::move(*committed);
  count_integrity_failure(m_metrics);
  if (m_notice) m_notice("not stored: " + url + ": " + committed.error().message);
  flight.fail(committed.error());
  return std::nullopt;
}

bool Recording::vouched_against(InFlight& flight, const util::Sha256& digest, const std::string& url) {
  if (!flight.expectation_violated(digest)) return false;
  count_integrity_failure(m_metrics);
  if (m_notice) m_notice("not stored: " + url + ": a client expected another sha256 than " + digest.hex());
  flight.mark_unrecorded();
  return true;
}

void Recording::stored(const util::Result<void>& put, InFlight& flight, const std::string& url) {
  if (put) return;
  m_metrics.counter("hubcache_store_errors_total", "Store reads or writes that failed").add();
  if (m_notice) m_notice("not stored: " + url + ": " + put.error().message);
  flight.mark_unrecorded();
}

void Recording::read_failed(const util::Error& error) {
  m_metrics.counter("hubcache_store_errors_total", "Store reads or writes that failed").add();
  if (m_notice) m_notice("store read failed, treating as a miss: " + error.message);
}

void Recording::noted(const util::Result<void>& put, const std::string& what) {
  if (!put && m_notice) m_notice("not stored: " + what + ": " + put.error().message);
}

} // namespace cache
