#include "cache/mirror_route.hpp"

namespace cache {

util::Result<upstream::Url> mirror_url(const upstream::Url& upstream, std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return util::fail(util::Errc::invalid_argument,
                      "only origin-form requests (\"GET /path\") are mirrored");
  }
  upstream::Url url = upstream;
  std::string prefix = upstream.path;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  const auto question = target.find('?');
  url.path = prefix + std::string(target.substr(0, question));
  url.query = question == std::string_view::npos ? "" : std::string(target.substr(question + 1));
  return url;
}

void install_mirror(http::Router& router, Cache& cache, upstream::Url upstream) {
  router.set_fallback([&cache, upstream](http::Request request, http::Respond respond) {
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
  });
}

} // namespace cache
