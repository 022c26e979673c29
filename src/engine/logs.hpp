// The NDJSON log's line formats: one "access" line per response, one "throttle" line per
// upstream retry. Field names are a contract with people's tooling and the tests.
#pragma once

#include "http/message.hpp"
#include "upstream/fetcher.hpp"
#include "util/clock.hpp"

#include <cstdint>
#include <string>

namespace engine {

// The access line for `record`, whose URL is already redacted (the log never holds a
// signature: issue 14). No trailing newline.
std::string access_line(const http::AccessRecord& record);

// The throttle line for `event`, `now` its timestamp. No trailing newline.
std::string throttle_line(const upstream::ThrottleEvent& event, util::UnixMillis now);

} // namespace engine
