// The three modes of DESIGN.md: what a hit and a miss do.
#pragma once

#include <optional>
#include <string_view>

namespace cache {

enum class Mode {
  record,   // hit: from the store; miss: fetch once, store, serve
  replay,   // hit: from the store; miss: 501 (responses.hpp), never any outbound connection
  refresh,  // ask upstream first; the stored answer if upstream fails (stale)
};

std::string_view to_string(Mode mode);
std::optional<Mode> parse_mode(std::string_view text);

} // namespace cache
