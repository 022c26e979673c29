#include "engine/logs.hpp"

#include "util/json_line.hpp"

namespace engine {

// JsonLine, not nlohmann: a URL that is not UTF-8 made dump() throw here (issue 14).

std::string access_line(const http::AccessRecord& r) {
  util::JsonLine line;
  line.add("event", "access")
      .add("ts", util::format_iso8601(r.ts))
      .add("method", r.method)
      .add("url", r.url)
      .add("status", r.status)
      .add("cache", r.cache)
      .add("bytes", r.bytes)
      .add("ms", r.ms)
      .add("upstream_ms", r.upstream_ms);
  if (r.aborted) line.add("aborted", true);
  if (!r.optional.empty()) line.add("optional", r.optional);
  return line.str();
}

std::string throttle_line(const upstream::ThrottleEvent& t, util::UnixMillis now) {
  util::JsonLine line;
  line.add("event", "throttle")
      .add("ts", util::format_iso8601(now))
      .add("url", t.url)
      .add("attempt", t.attempt)
      .add("status", t.status)
      .add("wait_s", static_cast<double>(t.wait.count()) / 1000.0)
      .add("source", upstream::to_string(t.source));
  if (!t.error.empty()) line.add("error", t.error);
  return line.str();
}

} // namespace engine
