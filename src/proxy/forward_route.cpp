#include "proxy/forward_route.hpp"

#include "hub/target.hpp"
#include "util/host_name.hpp"

namespace proxy {

namespace {

bool is_absolute_form(std::string_view target) {
  return target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0;
}

} // namespace

std::string refusal(const std::string& host) {
  return "hubcache: not proxying " + host + ": it is not an allowed host (start hubcache with "
         "--allow-host " + host + ", or --allow-host '*' for any)\n";
}

http::Handler forward_handler(ForwardOptions options, cache::Cache& exchanges,
                              hub::HubRoutes& hub, http::Handler origin_form) {
  return [options = std::move(options), &exchanges, &hub,
          origin_form = std::move(origin_form)](http::Request request, http::Respond respond) {
    if (request.method == "CONNECT") {
      // host:port. The server terminates TLS for an allowed host and sends each request
      // inside as an absolute-form https:// one, which comes back through here.
      const auto authority = util::parse_authority(request.target);
      if (!authority) {
        respond(http::Response::text(400, "hubcache: CONNECT takes host:port, the host a DNS "
                                          "name or an IP address\n"));
        return;
      }
      const std::string& host = authority->host.text();
      if (!upstream::host_allowed(options.allow_hosts, host)) {
        respond(http::Response::text(403, refusal(host)));
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
    if (!upstream::host_allowed(options.allow_hosts, url->host)) {
      respond(http::Response::text(403, refusal(url->host)));
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
