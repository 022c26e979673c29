// The answers hubcache makes up itself, shared by the mirror and the Hub routes.
#pragma once

#include "cache/fetches.hpp"
#include "http/message.hpp"
#include "upstream/fetcher.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"

#include <string>

namespace cache {

// What replay answers for what it does not hold. Not 504 (or any status a client retries:
// huggingface_hub retries 408, 429 and 500-504 with backoff, so one missing file cost 23 s and
// 7 HEADs before a run could fail): a 5xx all the same, which every Hub client takes as "the
// Hub cannot answer", the way it takes being offline, and never as "no such file".
inline constexpr int k_replay_miss_status = 501;

// k_replay_miss_status, X-Hubcache: miss, a body naming what was asked and how to record it.
http::Response replay_miss(util::Metrics& metrics, const std::string& what,
                           const std::string& record_hint);

// Replay under a lockfile, for what the lock does not name: a miss that says so.
http::Response lock_refusal(util::Metrics& metrics, const std::string& what,
                            const std::string& lock_path);

// Refresh mode: whether the upstream's answer (null: none came) is one to replace with the
// stored answer, and counting each time that is done.
bool upstream_failed(const upstream::ResponseHead* head);
void count_stale_answer(util::Metrics& metrics);

// A fetch could not answer `what` (the request as the client made it, "GET URL"): 502 when
// the upstream (or the remote tier) was unreachable, 504 when it timed out, 500 when our
// store failed. The body names `what` and says which, never `error`'s detail: curl's words,
// addresses and ports would tell any client what listens where (issue 14). The detail goes
// to the operator, through `notice` (and the fetcher's throttle log lines). The notice is the
// body's text without "hubcache: ", then ": " and the cause: preload, the operator's own client,
// finds a failure's cause by it (preload/failure_causes.hpp).
http::Response upstream_failure(util::Metrics& metrics, const Notice& notice,
                                const std::string& what, const util::Error& error);

// Every fetching thread is busy and the queue is full (--max-fetches, --fetch-queue): 503
// with Retry-After: 1, counted; the client asks again in a moment.
http::Response fetch_queue_full(util::Metrics& metrics);

} // namespace cache
