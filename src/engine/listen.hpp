// The address an engine listens on, from "HOST:PORT" or "[V6]:PORT".
#pragma once

#include <optional>
#include <string>

namespace engine {

struct ListenAddress {
  std::string host;  // "" in the text means 127.0.0.1
  int port = 0;      // 0: any free port
};

// nullopt when `text` is not HOST:PORT with a port of 0..65535 (digits only).
std::optional<ListenAddress> parse_listen(const std::string& text);

} // namespace engine
