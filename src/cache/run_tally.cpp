#include "cache/run_tally.hpp"

#include "upstream/allow_list.hpp"
#include "upstream/url.hpp"

namespace cache {

namespace {

bool is_miss(const RunRequest& request) {
  return request.cache == "miss" && request.optional.empty();
}

// The origin a proxied request went to: an absolute URL's, or a CONNECT's host:port.
std::optional<upstream::Url> origin_of(const RunRequest& request) {
  auto url = request.method == "CONNECT" ? upstream::parse_connect_target(request.url)
                                         : upstream::parse_url(request.url);
  if (!url) return std::nullopt;
  return *url;
}

} // namespace

std::string_view request_kind(const RunRequest& request, std::string_view origin) {
  if (!request.optional.empty()) return "optional";
  if (request.method == "CONNECT" || !request.url.starts_with(origin)) return "URL";
  std::string_view path = std::string_view(request.url).substr(origin.size());
  path = path.substr(0, path.find('?'));
  if (!path.starts_with("/")) return "URL";  // another origin that shares a prefix
  if (path.find("/resolve/") != std::string_view::npos || path.starts_with("/api/resolve-cache/")) {
    return "Hub file";
  }
  if (!path.starts_with("/api/")) return "URL";
  if (path.find("/tree/") != std::string_view::npos ||
      path.find("/paths-info/") != std::string_view::npos || path == "/api/models" ||
      path == "/api/datasets" || path == "/api/spaces") {
    return "listing";
  }
  return "Hub API";
}

std::string miss_cause(const RunRequest& request, std::string_view origin, Mode mode) {
  const auto kind = request_kind(request, origin);
  if (request.status == 403 && kind == "URL") {
    // Refused: an origin outside the allow-list.
    const auto to = origin_of(request);
    const std::string pattern =
        to ? upstream::OriginPattern::exactly(*to).to_string() : std::string("HOST");
    return mode == Mode::replay ? "not recorded, not an allowed origin: record again with "
                                  "--allow-host " + pattern
                                : "not allowed: record with --allow-host " + pattern;
  }
  if (mode != Mode::replay) {
    return "upstream failed (" + std::to_string(request.status) + "): record again when it answers";
  }
  if (kind == "Hub file") return "not recorded: record again, or add it to the preload manifest";
  return "not recorded: record again";
}

RunTally::RunTally(std::string origin) : m_origin(std::move(origin)) {}

void RunTally::add(const http::AccessRecord& record) {
  // hubcache's own endpoints are not the command's downloads.
  if (record.url.rfind("/_hubcache/", 0) == 0) return;
  std::lock_guard lock(m_mutex);
  ++m_totals.requests;
  if (record.cache == "hit") ++m_totals.hits;
  else if (record.cache == "stored") ++m_totals.stored;
  else if (record.cache == "stale") ++m_totals.stale;
  if (record.cache == "hit" || record.cache == "stale") m_totals.bytes_from_store += record.bytes;

  const std::string url =
      !record.url.empty() && record.url.front() == '/' ? m_origin + record.url : record.url;
  const std::string key = record.method + " " + url;
  auto [it, added] = m_by_key.try_emplace(key, m_requests.size());
  if (added) m_requests.push_back({record.method, url, 0, "", 0, 0, ""});
  RunRequest& request = m_requests[it->second];
  request.status = record.status;
  request.cache = record.cache;
  request.bytes = record.bytes;
  if (!record.optional.empty()) request.optional = record.optional;
  ++request.count;
}

RunTotals RunTally::totals() const {
  std::lock_guard lock(m_mutex);
  RunTotals totals = m_totals;
  for (const auto& request : m_requests) {
    if (is_miss(request)) ++totals.misses;
    if (!request.optional.empty()) ++totals.optional;
  }
  return totals;
}

std::vector<RunRequest> RunTally::requests() const {
  std::lock_guard lock(m_mutex);
  return m_requests;
}

std::vector<RunRequest> RunTally::misses() const {
  std::lock_guard lock(m_mutex);
  std::vector<RunRequest> out;
  for (const auto& request : m_requests) {
    if (is_miss(request)) out.push_back(request);
  }
  return out;
}

std::vector<RunRequest> RunTally::side_requests() const {
  std::lock_guard lock(m_mutex);
  std::vector<RunRequest> out;
  for (const auto& request : m_requests) {
    if (!request.optional.empty()) out.push_back(request);
  }
  return out;
}

} // namespace cache
