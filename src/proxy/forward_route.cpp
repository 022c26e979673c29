#include "proxy/forward_route.hpp"

#include "cache/side_requests.hpp"
#include "hub/target.hpp"

namespace proxy {

namespace {

bool is_absolute_form(std::string_view target) {
  return target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0;
}

// A refusal is a miss: a run counts it, and --strict fails on it in record as in replay.
http::Response refused(std::string why) {
  auto response = http::Response::text(403, std::move(why));
  response.cache = "miss";
  return response;
}

// http://datasets-server.NAME:PORT/... with PORT ours: `datasets` asking hubcache (its
// HF_ENDPOINT) for the dataset viewer.
bool addresses_our_viewer(const upstream::Url& url, const ForwardOptions& options) {
  return options.dataset_viewer && options.own_port && url.scheme == "http" &&
         url.host.starts_with("datasets-server.") && url.port == options.own_port->load();
}

} // namespace

std::string refusal(const upstream::Url& origin) {
  const std::string pattern = upstream::OriginPattern::exactly(origin).to_string();
  return "hubcache: not proxying " + origin.origin() + ": it is not an allowed origin (start "
         "hubcache with --allow-host " + pattern + " to allow it)\n";
}

namespace {

std::string replay_refusal(const upstream::Url& origin) {
  return "hubcache: no tunnel to " + origin.origin() + " in replay mode: nothing recorded from "
         "it is in the store (record it first), and it is not an allowed origin (--allow-host " +
         upstream::OriginPattern::exactly(origin).to_string() + " allows it)\n";
}

} // namespace

http::Handler forward_handler(ForwardOptions options, cache::Cache& exchanges,
                              hub::HubRoutes& hub, http::Handler origin_form) {
  return [options = std::move(options), &exchanges, &hub,
          origin_form = std::move(origin_form)](http::Request request, http::Respond respond) {
    if (request.method == "CONNECT") {
      // host:port, an https origin. The server terminates TLS for an accepted one and sends
      // each request inside as an absolute-form https:// one, which comes back through here.
      const auto origin = upstream::parse_connect_target(request.target);
      if (!origin) {
        respond(http::Response::text(400, "hubcache: " + origin.error().message + "\n"));
        return;
      }
      // Replay answers from the store only, so it tunnels to what the store knows.
      const bool replay = exchanges.mode() == cache::Mode::replay;
      const bool accepted = upstream::allowed(options.allow, *origin) ||
                            (origin->port == 443 && cache::is_side_host(origin->host)) ||
                            (replay && exchanges.holds_origin(*origin));
      if (!accepted) {
        respond(refused(replay ? replay_refusal(*origin) : refusal(*origin)));
        return;
      }
      respond(http::Response::text(200, ""));
      return;
    }
    if (!is_absolute_form(request.target)) {
      origin_form(std::move(request), std::move(respond));
      return;
    }
    auto url = upstream::parse_url(request.target);
    if (!url) {
      respond(http::Response::text(400, "hubcache: " + url.error().message + "\n"));
      return;
    }
    auto where = cache::SideHost::named;
    if (addresses_our_viewer(*url, options)) {
      auto viewer = *options.dataset_viewer;
      viewer.path = url->path;
      viewer.query = url->query;
      url = std::move(viewer);
      request.addressed_origin = options.dataset_viewer->origin();
    }
    if (options.dataset_viewer && url->origin() == options.dataset_viewer->origin()) {
      where = cache::SideHost::dataset_viewer;
    } else if (url->origin() == options.hub_upstream.origin()) {
      where = cache::SideHost::hub;
    }
    // The Hub's own URLs land on the object model (its origin is always allowed).
    if (url->origin() == options.hub_upstream.origin()) {
      const std::string origin_target = url->path + (url->query.empty() ? "" : "?" + url->query);
      const auto target = hub::parse_target(origin_target);
      if (!target) {
        respond(http::Response::text(400, "hubcache: " + target.error().message + "\n"));
        return;
      }
      if (*target) {
        request.addressed_origin = url->origin();
        request.target = origin_target;
        if (const auto* side = cache::match_side_request(request.method, cache::SideHost::hub, "",
                                                         url->path)) {
          respond = cache::as_side_request(*side, std::move(respond));
        }
        hub.handle(request, **target, std::move(respond));
        return;
      }
    }
    const bool may_fetch =
        exchanges.mode() == cache::Mode::replay || upstream::allowed(options.allow, *url);
    if (const auto* side = cache::match_side_request(request.method, where, url->host, url->path)) {
      if (!may_fetch) {
        respond(cache::offline_answer(*side));
        return;
      }
      exchanges.handle(request, *url, cache::as_side_request(*side, std::move(respond)));
      return;
    }
    if (!may_fetch) {
      respond(refused(refusal(*url)));
      return;
    }
    if (request.method != "GET" && request.method != "HEAD" && request.method != "POST") {
      auto response = http::Response::text(405, "hubcache records GET, HEAD and POST only\n");
      response.headers.emplace_back("Allow", "GET, HEAD, POST");
      respond(std::move(response));
      return;
    }
    exchanges.handle(request, *url, std::move(respond));
  };
}

} // namespace proxy
