#include "proxy/forward_route.hpp"

#include "hub/target.hpp"

namespace proxy {

namespace {

bool is_absolute_form(std::string_view target) {
  return target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0;
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
                            (replay && exchanges.holds_origin(*origin));
      if (!accepted) {
        const auto why = replay ? replay_refusal(*origin) : refusal(*origin);
        respond(http::Response::text(403, why));
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
    if (exchanges.mode() != cache::Mode::replay && !upstream::allowed(options.allow, *url)) {
      respond(http::Response::text(403, refusal(*url)));
      return;
    }
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
        hub.handle(request, **target, std::move(respond));
        return;
      }
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
