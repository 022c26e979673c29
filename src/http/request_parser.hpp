// Turns request bytes into a Request under the server's limits, or says why not. The server
// runs the same checks on what it reads from a socket (connection.cpp); the fuzz target
// (tests/fuzz/request_fuzz.cpp) drives this directly.
#pragma once

#include "http/message.hpp"
#include "http/server.hpp"

#include <string>
#include <string_view>
#include <variant>

namespace http {

// A request the server answers with `status` and closes: 400, 413, 431, 505.
struct Refusal {
  int status = 400;
  std::string why;
};

// Not a whole request yet.
struct NeedMore {};

std::variant<Request, Refusal, NeedMore> parse_request(std::string_view bytes,
                                                       const ServerOptions& options);

} // namespace http
