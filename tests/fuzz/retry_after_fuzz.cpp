// libFuzzer target: Retry-After values and error bodies through the retry policy.
#include "upstream/retry_policy.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)upstream::parse_http_date(text);
  (void)upstream::parse_retry_after(text, 1'700'000'000'000);
  (void)upstream::find_retry_after_in_body(text);
  upstream::AttemptOutcome outcome;
  outcome.status = 429;
  outcome.retry_after = text;
  outcome.body = text;
  const auto decision = upstream::decide({}, 1, outcome, 1'700'000'000'000, 0.5);
  if (decision.wait > std::chrono::milliseconds(120'000)) __builtin_trap();  // never past the ceiling
  return 0;
}
