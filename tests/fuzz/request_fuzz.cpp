// libFuzzer target: request bytes through the server's parser and checks, then what a
// handler does with the result (Range, the mirror URL, the exchange key). Must never crash,
// hang or read out of bounds.
#include "cache/exchange_key.hpp"
#include "cache/mirror_url.hpp"
#include "http/range.hpp"
#include "http/request_parser.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const http::ServerOptions options;
  static const auto upstream = upstream::parse_url("https://hub.test/prefix").value();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = http::parse_request(bytes, options);
  auto* request = std::get_if<http::Request>(&parsed);
  if (!request) return 0;
  for (std::uint64_t length : {0ull, 1ull, 1000ull, ~0ull}) {
    (void)http::parse_range(request->header("Range").value_or(""), length);
  }
  if (auto url = cache::mirror_url(upstream, request->target)) {
    (void)cache::exchange_key(request->method, *url,
                              cache::credential_scope("salt", request->header("Authorization").value_or(""),
                                                      request->header("Cookie").value_or("")));
    (void)upstream::parse_url(url->to_string());
  }
  return 0;
}
