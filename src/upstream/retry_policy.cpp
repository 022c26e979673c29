#include "upstream/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>
#include <regex>

namespace upstream {

std::string_view to_string(WaitSource source) {
  switch (source) {
  case WaitSource::retry_after: return "retry-after";
  case WaitSource::body: return "body";
  case WaitSource::backoff: return "backoff";
  }
  return "backoff";
}

bool is_retryable_status(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

RetryDecision decide(const RetryPolicy& policy, int attempt, const AttemptOutcome& outcome,
                     util::UnixMillis now, double random01) {
  RetryDecision decision;
  const bool retryable =
      outcome.transport_error ||
      (outcome.status && (is_retryable_status(*outcome.status) ||
                          (policy.retry_internal_error && *outcome.status == 500)));
  if (!retryable || !outcome.idempotent || attempt > policy.max_retries) return decision;
  decision.retry = true;

  if (auto wait = parse_retry_after(outcome.retry_after, now)) {
    decision.wait = std::min(*wait, policy.ceiling);
    decision.source = WaitSource::retry_after;
    return decision;
  }
  if (auto wait = find_retry_after_in_body(outcome.body)) {
    decision.wait = std::min(*wait, policy.ceiling);
    decision.source = WaitSource::body;
    return decision;
  }
  // floor · 2^(attempt-1), capped, then ±jitter (the cap applies after jitter too).
  const double base = static_cast<double>(policy.floor.count()) *
                      std::pow(2.0, std::min(attempt - 1, 30));
  const double capped = std::min(base, static_cast<double>(policy.ceiling.count()));
  const double jittered = capped * (1.0 + policy.jitter * (2.0 * random01 - 1.0));
  decision.wait = std::chrono::milliseconds(static_cast<std::int64_t>(
      std::clamp(jittered, 0.0, static_cast<double>(policy.ceiling.count()))));
  decision.source = WaitSource::backoff;
  return decision;
}

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

int month_index(std::string_view name) {
  static constexpr std::array<const char*, 12> k_months = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (name == k_months[static_cast<std::size_t>(i)]) return i;
  }
  return -1;
}

} // namespace

std::optional<util::UnixMillis> parse_http_date(std::string_view text) {
  text = trim(text);
  // Three forms (RFC 9110 §5.6.7); the weekday is not checked.
  //   IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  //   RFC 850:     Sunday, 06-Nov-94 08:49:37 GMT
  //   asctime:     Sun Nov  6 08:49:37 1994
  const std::string s(text);
  char month[4] = {};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  int consumed = 0;
  std::tm parts{};
  const auto comma = s.find(',');
  if (comma != std::string::npos) {
    const std::string rest = s.substr(comma + 1);
    if (std::sscanf(rest.c_str(), " %2d %3s %4d %2d:%2d:%2d GMT%n", &day, month, &year, &hour,
                    &minute, &second, &consumed) == 6 &&
        static_cast<std::size_t>(consumed) == rest.size()) {
    } else if (std::sscanf(rest.c_str(), " %2d-%3s-%2d %2d:%2d:%2d GMT%n", &day, month, &year,
                           &hour, &minute, &second, &consumed) == 6 &&
               static_cast<std::size_t>(consumed) == rest.size()) {
      // The stray '-' after the month is read by %3s only when the month is short; it is not.
      year += year < 70 ? 2000 : 1900;
    } else {
      return std::nullopt;
    }
  } else {
    char weekday[4] = {};
    if (std::sscanf(s.c_str(), "%3s %3s %2d %2d:%2d:%2d %4d%n", weekday, month, &day, &hour,
                    &minute, &second, &year, &consumed) != 7 ||
        static_cast<std::size_t>(consumed) != s.size()) {
      return std::nullopt;
    }
  }
  const int mon = month_index(month);
  if (mon < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1970) {
    return std::nullopt;
  }
  parts.tm_year = year - 1900;
  parts.tm_mon = mon;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  const std::time_t seconds = ::timegm(&parts);
  if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<util::UnixMillis>(seconds) * 1000;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           util::UnixMillis now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 9) return std::chrono::milliseconds(std::chrono::hours(24 * 365));
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  const auto date = parse_http_date(value);
  if (!date) return std::nullopt;
  return std::chrono::milliseconds(std::max<util::UnixMillis>(0, *date - now));
}

std::optional<std::chrono::milliseconds> find_retry_after_in_body(std::string_view body) {
  // Error bodies are short; a bounded prefix keeps the regex cheap on anything else.
  static const std::regex k_pattern(
      R"((?:retry[ -]?after|try again in)[^0-9]{0,16}([0-9]{1,6}(?:\.[0-9]+)?)\s*(ms|milliseconds?|s|sec|secs|seconds?|m|min|minutes?)?)",
      std::regex::icase);
  const std::string prefix(body.substr(0, 4096));
  std::smatch match;
  if (!std::regex_search(prefix, match, k_pattern)) return std::nullopt;
  const double amount = std::stod(match[1].str());
  std::string unit = match[2].str();
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  double ms = amount * 1000.0;
  if (unit.rfind("ms", 0) == 0 || unit.rfind("milli", 0) == 0) {
    ms = amount;
  } else if (!unit.empty() && unit[0] == 'm') {
    ms = amount * 60'000.0;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

} // namespace upstream
