// What `hubcache run` says when its command ends: the summary on stderr, the --report JSON and
// the Markdown table for a CI's step summary ($GITHUB_STEP_SUMMARY).
#pragma once

#include "cache/mode.hpp"
#include "cache/run_tally.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace cli {

struct RunOutcome {
  cache::RunTotals totals;
  std::vector<cache::RunRequest> misses;
  std::vector<cache::RunRequest> side_requests;
  std::uint64_t retries = 0;
  std::string origin;  // the Hub's, for the kinds of requests
  cache::Mode mode = cache::Mode::record;
};

// The summary line, then each miss (its kind and what to do) and each side request (what it
// is), the first 20 of each.
void print_summary(const RunOutcome& run);

// One request of the --report: method, url, status, cache, bytes, count, kind, and
// `optional` (a side request's reason) or `what_to_do` (a miss's).
nlohmann::json request_json(const cache::RunRequest& request, const RunOutcome& run);

// A short Markdown section: the counters, the hit rate, the first misses. `command` is what
// ran, shown shortened.
std::string step_summary_markdown(const RunOutcome& run, const std::vector<std::string>& command);

} // namespace cli
