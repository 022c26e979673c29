#include "cli/output.hpp"

#include "util/clock.hpp"
#include "util/json_text.hpp"

#include <cstdio>

namespace cli {

void print_json(const nlohmann::json& value) {
  const std::string text = util::to_json_text(value, 2);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

std::string time_or_dash(const std::optional<std::int64_t>& time) {
  return time ? util::format_iso8601(*time) : "-";
}

} // namespace cli
