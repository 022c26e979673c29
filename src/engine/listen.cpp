#include "engine/listen.hpp"

namespace engine {

std::optional<ListenAddress> parse_listen(const std::string& text) {
  ListenAddress out;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    // The last colon: a bare IPv6 address without brackets is not accepted as a host.
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (out.host.empty()) out.host = "127.0.0.1";
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  out.port = std::stoi(port);
  if (out.port > 65535) return std::nullopt;
  return out;
}

} // namespace engine
