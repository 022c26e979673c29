#include "cache/mode.hpp"

namespace cache {

std::string_view to_string(Mode mode) {
  switch (mode) {
  case Mode::record: return "record";
  case Mode::replay: return "replay";
  case Mode::refresh: return "refresh";
  }
  return "record";
}

std::optional<Mode> parse_mode(std::string_view text) {
  if (text == "record") return Mode::record;
  if (text == "replay") return Mode::replay;
  if (text == "refresh") return Mode::refresh;
  return std::nullopt;
}

} // namespace cache
