// The one retry policy for every upstream call (DESIGN.md, "Upstream policy"): a pure
// "retry? after how long?" function, like calc_delay in h2o's throttle_resp.c.
#pragma once

#include "util/clock.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace upstream {

struct RetryPolicy {
  int max_retries = 5;  // retries after the first attempt
  std::chrono::milliseconds floor{1000};
  std::chrono::milliseconds ceiling{120'000};
  double jitter = 0.10;  // ± fraction applied to backoff waits
  // 500 is retried too: S3 asks clients to retry its InternalError. Off for the Hub and CDNs,
  // whose 500 is an answer.
  bool retry_internal_error = false;
};

// What one attempt ended with.
struct AttemptOutcome {
  std::optional<int> status;           // the upstream's status, if it answered
  bool transport_error = false;        // refused, reset, timed out, stalled
  std::string retry_after;             // the Retry-After header, as sent
  std::string body;                    // the start of an error body ("retry after 30 seconds")
  bool idempotent = true;              // GET/HEAD; others are never retried
};

enum class WaitSource { retry_after, body, backoff };
std::string_view to_string(WaitSource source);  // "retry-after", "body", "backoff"

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds wait{0};
  WaitSource source = WaitSource::backoff;
};

// Statuses worth another try: 429, 502, 503, 504.
bool is_retryable_status(int status);

// Decides after attempt number `attempt` (1 = the first). `random01` in [0, 1) drives the
// jitter, so tests can pin it. Waits from Retry-After or the body are honoured as given,
// but never beyond the ceiling.
RetryDecision decide(const RetryPolicy& policy, int attempt, const AttemptOutcome& outcome,
                     util::UnixMillis now, double random01);

// Retry-After as delta-seconds ("120") or an HTTP-date (IMF-fixdate, RFC 850, asctime);
// a date in the past is a zero wait. std::nullopt if it is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           util::UnixMillis now);

// Parses an HTTP-date into Unix milliseconds; std::nullopt if malformed.
std::optional<util::UnixMillis> parse_http_date(std::string_view text);

// Finds "retry after N seconds" (also "retry-after: N", "try again in N seconds") in an
// error body, case-insensitively.
std::optional<std::chrono::milliseconds> find_retry_after_in_body(std::string_view body);

} // namespace upstream
