#include "util/json_text.hpp"

#include <nlohmann/json.hpp>

namespace util {

std::string to_json_text(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace util
