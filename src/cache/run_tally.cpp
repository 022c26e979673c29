#include "cache/run_tally.hpp"

namespace cache {

RunTally::RunTally(std::string origin) : m_origin(std::move(origin)) {}

void RunTally::add(const http::AccessRecord& record) {
  // hubcache's own endpoints are not the command's downloads.
  if (record.url.rfind("/_hubcache/", 0) == 0) return;
  std::lock_guard lock(m_mutex);
  ++m_totals.requests;
  if (record.cache == "hit") ++m_totals.hits;
  else if (record.cache == "stored") ++m_totals.stored;
  else if (record.cache == "miss") ++m_totals.misses;
  else if (record.cache == "stale") ++m_totals.stale;
  if (record.cache == "hit" || record.cache == "stale") m_totals.bytes_from_store += record.bytes;

  const std::string url =
      !record.url.empty() && record.url.front() == '/' ? m_origin + record.url : record.url;
  const std::string key = record.method + " " + url;
  auto [it, added] = m_by_key.try_emplace(key, m_requests.size());
  if (added) m_requests.push_back({record.method, url, 0, "", 0, 0});
  RunRequest& request = m_requests[it->second];
  request.status = record.status;
  request.cache = record.cache;
  request.bytes = record.bytes;
  ++request.count;
}

RunTotals RunTally::totals() const {
  std::lock_guard lock(m_mutex);
  return m_totals;
}

std::vector<RunRequest> RunTally::requests(bool misses_only) const {
  std::lock_guard lock(m_mutex);
  if (!misses_only) return m_requests;
  std::vector<RunRequest> out;
  for (const auto& request : m_requests) {
    if (request.cache == "miss") out.push_back(request);
  }
  return out;
}

} // namespace cache
