// Why the engine failed a request of preload's: the engine's own notice for that failure.
// The engine answers any client only "hubcache: upstream failed: GET URL" and tells the cause
// (refused, timed out, TLS, the upstream's last status) to the operator alone (doc/security.md,
// cache/responses.hpp). preload runs the engine in-process for the operator, so each failed
// entry can name its cause instead of a bare "502" (issue 15).
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace preload {

// Safe from any thread. Keeps the latest notices only, so memory stays bounded however many
// requests fail.
class FailureCauses {
public:
  // Sees one engine notice, as the engine prints it after "hubcache: " (a failure reads
  // "upstream failed: GET URL: cause"; URLs already redacted by the engine).
  void note(const std::string& line);

  // For the body of an answer the engine made for a failure ("hubcache: upstream failed:
  // GET URL\n"): the notice that names the same failure and its cause; "" if there is none.
  std::string find(std::string_view body) const;

private:
  static constexpr std::size_t k_kept = 256;
  mutable std::mutex m_mutex;
  std::deque<std::string> m_lines;  // oldest first
};

} // namespace preload
