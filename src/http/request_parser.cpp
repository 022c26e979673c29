#include "http/request_parser.hpp"

#include "http/request_checks.hpp"

namespace http {

Refusal refusal_for(const boost::system::error_code& ec, const ServerOptions& options) {
  if (ec == bhttp::error::header_limit) {
    return {431, "request head larger than " + std::to_string(options.header_limit) + " bytes"};
  }
  if (ec == bhttp::error::body_limit) return {413, "request body too large"};
  return {400, "malformed request: " + ec.message()};
}

std::variant<Request, Refusal> to_request(bhttp::request<bhttp::string_body>& req,
                                          const ServerOptions& options) {
  if (static_cast<std::size_t>(std::distance(req.begin(), req.end())) > options.max_header_count) {
    return Refusal{431, "more than " + std::to_string(options.max_header_count) + " request headers"};
  }
  if (req.version() != 11 && req.version() != 10) {
    return Refusal{505, "only HTTP/1.0 and HTTP/1.1 are spoken here"};
  }
  Request request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  if (request.target.empty()) return Refusal{400, "malformed request: empty target"};
  for (const auto& field : req) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(req.body());
  return request;
}

std::variant<Request, Refusal, NeedMore> parse_request(std::string_view bytes,
                                                       const ServerOptions& options) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
  parser.body_limit(options.body_limit);
  parser.eager(true);
  boost::system::error_code ec;
  std::size_t used = 0;
  while (used < bytes.size() && !parser.is_done()) {
    const auto n = parser.put(asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec == bhttp::error::need_more) return NeedMore{};
    if (ec) return refusal_for(ec, options);
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done()) return NeedMore{};
  auto converted = to_request(parser.get(), options);
  if (auto* refusal = std::get_if<Refusal>(&converted)) return *refusal;
  return std::get<Request>(std::move(converted));
}

} // namespace http
