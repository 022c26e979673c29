// Printing for people and for machines: JSON on stdout (and nothing else), tables for people.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cli {

// Writes `value` to stdout as one JSON document and a newline.
void print_json(const nlohmann::json& value);

// "2026-11-22T10:04:05Z", or "-" for no time.
std::string time_or_dash(const std::optional<std::int64_t>& time);

} // namespace cli
