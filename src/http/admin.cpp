#include "http/admin.hpp"

namespace http {

void install_admin(Router& router, util::Metrics& metrics, std::function<std::string()> health,
                   std::function<std::string()> stats) {
  router.add_prefix("/_hubcache/", [&metrics, health, stats](Request request, Respond respond) {
    const auto path = request.target.substr(0, request.target.find('?'));
    if (request.method != "GET" && request.method != "HEAD") {
      respond(Response::text(405, "GET only\n"));
    } else if (path == "/_hubcache/health") {
      respond(Response::text(200, health() + "\n", "application/json"));
    } else if (path == "/_hubcache/metrics") {
      respond(Response::text(200, metrics.prometheus(), "text/plain; version=0.0.4"));
    } else if (path == "/_hubcache/stats") {
      respond(Response::text(200, stats() + "\n", "application/json"));
    } else {
      respond(Response::text(404, "unknown hubcache route " + path +
                                      " (try /_hubcache/health, /_hubcache/metrics, "
                                      "/_hubcache/stats)\n"));
    }
  });
}

} // namespace http
