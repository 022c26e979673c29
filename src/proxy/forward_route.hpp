// The forward proxy's front door for absolute-form requests (`GET http://host/path`, what
// clients send to an HTTP_PROXY) and CONNECT: only allowed origins (scheme, host and port,
// --allow-host) are proxied (no open proxy, and no way to the other ports of an allowed host);
// the Hub's own URLs land on the Hub object model, so a file is stored once whether it came
// through HF_ENDPOINT or the proxy; anything else is a recorded exchange.
#pragma once

#include "cache/cache.hpp"
#include "http/router.hpp"
#include "hub/routes.hpp"
#include "upstream/allow_list.hpp"
#include "upstream/url.hpp"

#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace proxy {

struct ForwardOptions {
  // Origins that may be proxied: --allow-host, the upstream's, the Hub's CDNs. In replay
  // (the mode of `exchanges`), which opens no connection, absolute-form requests are answered
  // for any origin (from the store; the rest is a miss), and a CONNECT is accepted for an
  // allowed origin or one the store holds exchanges from: a tunnel costs a certificate and a
  // TLS context, so not for any name a client makes up.
  upstream::AllowList allow;
  // The Hub that `hub` mirrors: absolute-form requests to its origin go to `hub`.
  upstream::Url hub_upstream;
  // The Hub's dataset viewer (--dataset-viewer). `datasets` derives its host from HF_ENDPOINT
  // (`datasets-server.` + the endpoint's host), so what arrives here is
  // http://datasets-server.<any name of hubcache>:<our port>: it is sent to this origin instead.
  std::optional<upstream::Url> dataset_viewer;
  // The port hubcache listens on, known once it listens (0 before).
  std::shared_ptr<const std::atomic<int>> own_port;
};

// A handler for absolute-form requests and CONNECT that passes origin-form ones to
// `origin_form`. `exchanges` and `hub` must outlive it.
http::Handler forward_handler(ForwardOptions options, cache::Cache& exchanges,
                              hub::HubRoutes& hub, http::Handler origin_form);

// Side requests (cache/side_requests) are told apart by their URL: a CONNECT to a host some
// of them use is accepted even when it is not allowed, and what replay cannot answer from the
// store, or a record may not fetch, gets the side request's offline answer.
//
// The body of the 403 for an origin outside the allow-list: it names the origin and the
// exact --allow-host pattern that would allow it.
std::string refusal(const upstream::Url& origin);

} // namespace proxy
