#include "cli/run_summary.hpp"

#include "util/size.hpp"
#include "util/utf8.hpp"

#include <cstdio>
#include <functional>

#include <nlohmann/json.hpp>

namespace cli {

namespace {

constexpr std::size_t k_shown = 20;
constexpr std::size_t k_shown_in_markdown = 10;

// Text inside a Markdown table cell: one line, no cell break, no code span break.
std::string cell(std::string_view text, std::size_t limit = 160) {
  std::string out;
  for (char c : util::printable(text, limit)) {
    if (c == '|') out += "\\|";
    else if (c == '`') out += '\'';
    else out += c;
  }
  return out;
}

// "hubcache: TITLE:", then the first k_shown of `requests`, a line each: method, URL,
// status and what `detail` says of it; nothing when there are none.
void print_requests(const char* title, const std::vector<cache::RunRequest>& requests,
                    const std::function<std::string(const cache::RunRequest&)>& detail) {
  if (requests.empty()) return;
  std::fprintf(stderr, "hubcache: %s:\n", title);
  for (std::size_t i = 0; i < requests.size() && i < k_shown; ++i) {
    const auto& request = requests[i];
    std::fprintf(stderr, "  %s %s (%d) · %s\n", request.method.c_str(),
                 util::printable(request.url, std::string_view::npos).c_str(), request.status,
                 detail(request).c_str());
  }
  if (requests.size() > k_shown) {
    std::fprintf(stderr, "  ... and %zu more (see --report)\n", requests.size() - k_shown);
  }
}

} // namespace

void print_summary(const RunOutcome& run) {
  const auto& totals = run.totals;
  std::fprintf(stderr,
               "hubcache: %llu requests: %llu hits, %llu stored, %llu missed%s · %llu optional · "
               "%s from the store, %s from upstream · %llu retries\n",
               static_cast<unsigned long long>(totals.requests),
               static_cast<unsigned long long>(totals.hits),
               static_cast<unsigned long long>(totals.stored),
               static_cast<unsigned long long>(totals.misses),
               totals.stale ? (", " + std::to_string(totals.stale) + " stale").c_str() : "",
               static_cast<unsigned long long>(totals.optional),
               util::format_size(totals.bytes_from_store).c_str(),
               util::format_size(totals.bytes_from_upstream).c_str(),
               static_cast<unsigned long long>(run.retries));
  print_requests("missed", run.misses, [&run](const cache::RunRequest& miss) {
    return std::string(cache::request_kind(miss, run.origin)) + " · " +
           cache::miss_cause(miss, run.origin, run.mode);
  });
  print_requests("optional (side requests no test depends on; never a miss)", run.side_requests,
                 [](const cache::RunRequest& side) { return side.optional; });
}

nlohmann::json request_json(const cache::RunRequest& r, const RunOutcome& run) {
  nlohmann::json out = {{"method", r.method}, {"url", r.url},     {"status", r.status},
                        {"cache", r.cache},   {"bytes", r.bytes}, {"count", r.count},
                        {"kind", cache::request_kind(r, run.origin)}};
  if (!r.optional.empty()) out["optional"] = r.optional;
  if (r.cache == "miss" && r.optional.empty()) {
    out["what_to_do"] = cache::miss_cause(r, run.origin, run.mode);
  }
  return out;
}


std::string step_summary_markdown(const RunOutcome& run, const std::vector<std::string>& command) {
  const auto& t = run.totals;
  std::string joined;
  for (const auto& arg : command) joined += (joined.empty() ? "" : " ") + arg;
  // The hit rate of the downloads: what the store answered of all it was asked.
  const std::uint64_t asked = t.hits + t.stale + t.stored + t.misses;
  const std::string rate =
      asked ? std::to_string((t.hits + t.stale) * 100 / asked) + " %" : std::string("-");
  std::string out = "### hubcache run (" + std::string(cache::to_string(run.mode)) + "): `" +
                    cell(joined, 100) + "`\n\n";
  out += "| requests | hits | stored | missed | optional | from the store | from upstream | hit rate |\n";
  out += "|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  out += "| " + std::to_string(t.requests) + " | " + std::to_string(t.hits) + " | " +
         std::to_string(t.stored) + " | " + std::to_string(t.misses) + " | " +
         std::to_string(t.optional) + " | " + util::format_size(t.bytes_from_store) + " | " +
         util::format_size(t.bytes_from_upstream) + " | " + rate + " |\n";
  if (!run.misses.empty()) {
    out += "\n**Missed** (" + std::to_string(run.misses.size()) + ")\n\n";
    out += "| request | status | kind | what to do |\n|---|---:|---|---|\n";
    for (std::size_t i = 0; i < run.misses.size() && i < k_shown_in_markdown; ++i) {
      const auto& miss = run.misses[i];
      out += "| `" + cell(miss.method + " " + miss.url) + "` | " + std::to_string(miss.status) +
             " | " + std::string(cache::request_kind(miss, run.origin)) + " | " +
             cell(cache::miss_cause(miss, run.origin, run.mode)) + " |\n";
    }
    if (run.misses.size() > k_shown_in_markdown) {
      out += "\n... and " + std::to_string(run.misses.size() - k_shown_in_markdown) +
             " more (see --report)\n";
    }
  }
  return out + "\n";
}

} // namespace cli
