// What a `hubcache run` served: hits, stored, misses and where the bytes came from, tallied
// from the access records while the command runs, for the summary and the JSON report.
#pragma once

#include "http/message.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace cache {

struct RunTotals {
  std::uint64_t requests = 0;
  std::uint64_t hits = 0;     // answered from the store
  std::uint64_t stored = 0;   // fetched upstream and recorded
  std::uint64_t misses = 0;   // answered with neither: not recorded (replay) or upstream failed
  std::uint64_t stale = 0;    // refresh mode: the store's answer because the upstream failed
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
};

// Safe from any thread.
class RunTally {
public:
  // `origin` prefixes the origin-form targets of the records ("https://huggingface.co").
  explicit RunTally(std::string origin);

  void add(const http::AccessRecord& record);

  RunTotals totals() const;
  // Distinct requests in first-seen order; `misses_only` keeps those whose last answer missed.
  std::vector<RunRequest> requests(bool misses_only = false) const;

private:
  std::string m_origin;
  mutable std::mutex m_mutex;
  RunTotals m_totals;
  std::vector<RunRequest> m_requests;
  std::map<std::string, std::size_t> m_by_key;  // "METHOD url" -> index in m_requests
};

} // namespace cache
