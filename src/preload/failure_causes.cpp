#include "preload/failure_causes.hpp"

namespace preload {

void FailureCauses::note(const std::string& line) {
  std::lock_guard lock(m_mutex);
  m_lines.push_back(line);
  if (m_lines.size() > k_kept) m_lines.pop_front();
}

std::string FailureCauses::find(std::string_view body) const {
  // The body is "hubcache: " + why + ": " + what, the notice why + ": " + what + ": " + cause
  // (cache::upstream_failure writes both).
  constexpr std::string_view k_prefix = "hubcache: ";
  if (body.substr(0, k_prefix.size()) != k_prefix) return {};
  body.remove_prefix(k_prefix.size());
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (body.empty() || body.find('\n') != std::string_view::npos) return {};
  const std::string key = std::string(body) + ": ";
  std::lock_guard lock(m_mutex);
  for (auto it = m_lines.rbegin(); it != m_lines.rend(); ++it) {
    if (it->size() > key.size() && it->compare(0, key.size(), key) == 0) return *it;
  }
  return {};
}

} // namespace preload
