// The checks and the conversion shared by the socket reader and parse_request(). Internal to
// src/http (Beast types).
#pragma once

#include "http/asio.hpp"
#include "http/request_parser.hpp"

namespace http {

// What a Beast read error means for the client.
Refusal refusal_for(const boost::system::error_code& ec, const ServerOptions& options);

// Checks what Beast does not (header count, version) and converts. Moves the body out.
std::variant<Request, Refusal> to_request(bhttp::request<bhttp::string_body>& req,
                                          const ServerOptions& options);

} // namespace http
