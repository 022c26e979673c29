// What every route's lookup and record steps do the same way: commit a body against the upstream's
// claims, keep it from the index when a client vouched for another, and write rows, each
// failure counted under one name and noted once (DESIGN.md: a blob is visible only when
// complete and checked). Used on the fetching threads, by Tiers and the routes' recipes.
#pragma once

#include "cache/fetches.hpp"
#include "cache/in_flight.hpp"
#include "store/blob_reader.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"

#include <optional>
#include <string>

namespace cache {

// Safe from any thread.
class Recording {
public:
  Recording(util::Metrics& metrics, Notice notice);

  // An answer that is not recorded (an error, a HEAD's empty body): the clients get it, the
  // flight ends without a blob.
  static void pass_on(InFlight& flight, std::int64_t upstream_ms);
  // An answer whose body another flight fetches (the content's: content_fill.hpp): as
  // pass_on(), but a resumable partial file is kept for that flight to go on from.
  static void hand_over(InFlight& flight, std::int64_t upstream_ms);

  // Commits the flight's body checked against `claims`. On a mismatch, counts an integrity
  // failure, notes it for `url` and fails the flight: nullopt, and the caller returns.
  std::optional<store::BlobReader> commit(InFlight& flight, store::BlobExpectation claims,
                                          const std::string& url);
  // Whether a client vouched for another sha256 than the body has: then it is counted as an
  // integrity failure and the answer marked unrecorded (the others still get the body).
  bool vouched_against(InFlight& flight, const util::Sha256& digest, const std::string& url);
  // A row written (or not): a failure is counted, noted, and the answer marked unrecorded.
  void stored(const util::Result<void>& put, InFlight& flight, const std::string& url);
  // A store read that failed: counted and noted; the caller goes on as on a miss.
  void read_failed(const util::Error& error);
  // A row the answer does not depend on (a ref, a listing learned on the side): noted only.
  void noted(const util::Result<void>& put, const std::string& what);

private:
  util::Metrics& m_metrics;
  Notice m_notice;
};

} // namespace cache
