// What a `hubcache run` served: hits, stored, misses and where the bytes came from, tallied
// from the access records while the command runs, for the summary and the JSON report; and,
// for each miss, what kind of request it was and what to do about it.
#pragma once

#include "cache/mode.hpp"
#include "http/message.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cache {

struct RunTotals {
  std::uint64_t requests = 0;  // responses, retries included
  std::uint64_t hits = 0;      // answered from the store
  std::uint64_t stored = 0;    // fetched upstream and recorded
  // Distinct requests (method and URL) whose last answer was a miss: not recorded (replay),
  // refused (not an allowed origin) or upstream failed; side requests excepted. A request a
  // client retried is one miss, and one that failed, then was answered, is none.
  std::uint64_t misses = 0;
  std::uint64_t stale = 0;     // refresh mode: the store's answer because the upstream failed
  // Distinct side requests (cache/side_requests): answered from the store, the upstream or
  // their offline answer, and never a miss.
  std::uint64_t optional = 0;
  std::uint64_t bytes_from_store = 0;     // bodies of hits and stale answers
  std::uint64_t bytes_from_upstream = 0;  // not tallied here: the fetcher counts what it receives
};

// One distinct request (method and URL), with its last status and cache result.
struct RunRequest {
  std::string method;
  std::string url;
  int status = 0;
  std::string cache;
  std::uint64_t bytes = 0;
  std::uint64_t count = 0;
  std::string optional;  // a side request: what it is; "" otherwise
};

// What a request was, for the miss report: "Hub file" (a resolve), "listing" (a tree,
// paths-info or search), "Hub API" (the rest of /api/), "URL" (anything else, proxied or
// mirrored) or "optional" (a side request). `origin` is the Hub's ("https://huggingface.co").
std::string_view request_kind(const RunRequest& request, std::string_view origin);

// What to do about a miss, one line: "not recorded: record again", "not allowed: record with
// --allow-host https://example.com", "upstream failed (502): record again when it answers".
std::string miss_cause(const RunRequest& request, std::string_view origin, Mode mode);

// Safe from any thread.
class RunTally {
public:
  // `origin` prefixes the origin-form targets of the records ("https://huggingface.co").
  explicit RunTally(std::string origin);

  void add(const http::AccessRecord& record);

  RunTotals totals() const;
  // Distinct requests in first-seen order.
  std::vector<RunRequest> requests() const;
  // Those whose last answer missed, side requests excepted.
  std::vector<RunRequest> misses() const;
  // The side requests.
  std::vector<RunRequest> side_requests() const;

private:
  std::string m_origin;
  mutable std::mutex m_mutex;
  RunTotals m_totals;
  std::vector<RunRequest> m_requests;
  std::map<std::string, std::size_t> m_by_key;  // "METHOD url" -> index in m_requests
};

} // namespace cache
