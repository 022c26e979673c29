// Byte sizes as people write them ("20G", "1.5GiB", "500M") and as we print them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace util {

// Parses a size: a non-negative number (decimals allowed) with an optional unit. As in
// ccache, k/M/G/T are powers of 1000 and Ki/Mi/Gi/Ti powers of 1024; a trailing "B" is
// allowed and letters are case-insensitive. No unit means bytes. std::nullopt for anything
// else ("banana", "-1G", "1.5", "", overflow).
std::optional<std::uint64_t> parse_size(std::string_view text);

// "0 B", "812 B", "4.1 kB", "20.0 GB": decimal units, one decimal past bytes.
std::string format_size(std::uint64_t bytes);

} // namespace util
