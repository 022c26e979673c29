#include "cache/mirror_url.hpp"

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

} // namespace cache
