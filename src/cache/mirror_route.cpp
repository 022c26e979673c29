#include "cache/mirror_route.hpp"

namespace cache {

void install_mirror(http::Router& router, Cache& cache, upstream::Url upstream) {
  router.set_fallback(mirror_handler(cache, std::move(upstream)));
}

http::Handler mirror_handler(Cache& cache, upstream::Url upstream) {
  return [&cache, upstream](http::Request request, http::Respond respond) {
    if (request.method != "GET" && request.method != "HEAD") {
      auto response = http::Response::text(405, "hubcache mirrors GET and HEAD only\n");
      response.headers.emplace_back("Allow", "GET, HEAD");
      respond(std::move(response));
      return;
    }
    auto url = mirror_url(upstream, request.target);
    if (!url) {
      respond(http::Response::text(400, url.error().message + "\n"));
      return;
    }
    cache.handle(request, *url, std::move(respond));
  };
}

} // namespace cache
