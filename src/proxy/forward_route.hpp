// The forward proxy's front door for absolute-form requests (`GET http://host/path`, what
// clients send to an HTTP_PROXY): only hosts matching --allow-host are proxied (no open
// proxy); the Hub's own URLs land on the Hub object model, so a file is stored once whether
// it came through HF_ENDPOINT or the proxy; anything else is a recorded exchange.
#pragma once

#include "cache/cache.hpp"
#include "http/router.hpp"
#include "hub/routes.hpp"
#include "upstream/url.hpp"

#include <string>
#include <vector>

namespace proxy {

struct ForwardOptions {
  // Hosts that may be proxied: exact, "*.example.com" or "*" (--allow-host).
  std::vector<std::string> allow_hosts;
  // The Hub that `hub` mirrors: absolute-form requests to its origin go to `hub`.
  upstream::Url hub_upstream;
};

// A handler for absolute-form requests that passes origin-form ones to `origin_form`.
// `exchanges` and `hub` must outlive it.
http::Handler forward_handler(ForwardOptions options, cache::Cache& exchanges,
                              hub::HubRoutes& hub, http::Handler origin_form);

// The message of the 403 for a host outside the allow-list, naming the flag that allows it.
std::string refusal(const std::string& host);

} // namespace proxy
