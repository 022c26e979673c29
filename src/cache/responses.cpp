#include "cache/responses.hpp"

namespace cache {

http::Response replay_miss(util::Metrics& metrics, const std::string& what,
                           const std::string& record_hint) {
  metrics.counter("hubcache_replay_misses_total", "Requests replay mode could not answer").add();
  auto response =
      http::Response::text(k_replay_miss_status, "hubcache: not recorded (replay mode): " + what +
                                                     "\nTo record it, " + record_hint + ".\n");
  response.headers.emplace_back("X-Error-Message", "hubcache: not recorded (replay mode)");
  response.cache = "miss";
  return response;
}

http::Response lock_refusal(util::Metrics& metrics, const std::string& what,
                            const std::string& lock_path) {
  metrics.counter("hubcache_replay_misses_total", "Requests replay mode could not answer").add();
  auto response = http::Response::text(
      k_replay_miss_status, "hubcache: not in the lock " + lock_path + ": " + what +
               "\nTo add it, record it, then write the lock again (hubcache lock -o " + lock_path +
               ").\n");
  response.headers.emplace_back("X-Error-Message", "hubcache: not in the lock");
  response.cache = "miss";
  return response;
}

bool upstream_failed(const upstream::ResponseHead* head) {
  return !head || head->status >= 500 || head->status == 429;
}

void count_stale_answer(util::Metrics& metrics) {
  metrics.counter("hubcache_stale_answers_total",
                  "Refresh mode answers from the store because the upstream failed")
      .add();
}

http::Response upstream_failure(util::Metrics& metrics, const Notice& notice,
                                const std::string& what, const util::Error& error) {
  metrics.counter("hubcache_upstream_failures_total", "Requests the upstream could not answer")
      .add();
  const int status = error.code == util::Errc::timeout ? 504
                     : error.code == util::Errc::io   ? 500
                                                      : 502;
  const char* why = status == 504   ? "upstream failed (timed out)"
                    : status == 500 ? "could not store the answer"
                                    : "upstream failed";
  if (notice) notice(std::string(why) + ": " + what + ": " + error.message);
  auto response =
      http::Response::text(status, "hubcache: " + std::string(why) + ": " + what + "\n");
  response.cache = "miss";
  return response;
}

http::Response fetch_queue_full(util::Metrics& metrics) {
  metrics.counter("hubcache_fetch_queue_full_total",
                  "Requests refused with 503 because every fetch slot and the queue were taken")
      .add();
  auto response = http::Response::text(
      503, "hubcache: too many fetches at once (--max-fetches, --fetch-queue); retry shortly\n");
  response.headers.emplace_back("Retry-After", "1");
  response.cache = "miss";
  return response;
}

} // namespace cache
