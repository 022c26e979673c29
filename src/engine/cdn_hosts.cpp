#include "engine/cdn_hosts.hpp"

namespace engine {

namespace {

// Where the Hub keeps LFS and Xet bodies.
const char* const k_hub_cdn_hosts[] = {"https://*.huggingface.co", "https://*.hf.co"};

} // namespace

util::Result<upstream::Url> dataset_viewer(const upstream::Url& upstream, const std::string& given) {
  upstream::Url viewer = upstream;
  viewer.host.insert(0, "datasets-server.");
  if (!given.empty()) {
    auto parsed = upstream::parse_url(given);
    if (!parsed) return tl::unexpected(parsed.error());
    viewer = *parsed;
  }
  viewer.path = "/";
  viewer.query.clear();
  return viewer;
}

bool is_hub(const upstream::Url& upstream) {
  return upstream.host == "huggingface.co" || upstream.host.ends_with(".huggingface.co");
}

upstream::AllowList hub_cdn_hosts() {
  upstream::AllowList out;
  for (const char* cdn : k_hub_cdn_hosts) out.push_back(*upstream::OriginPattern::parse(cdn));
  return out;
}

upstream::AllowList fetch_allow_list(const upstream::AllowList& allow_hosts,
                                     const upstream::Url& upstream, const upstream::Url& viewer) {
  upstream::AllowList out = allow_hosts;
  out.push_back(upstream::OriginPattern::exactly(upstream));
  out.push_back(upstream::OriginPattern::exactly(viewer));
  if (is_hub(upstream)) {
    for (auto& cdn : hub_cdn_hosts()) out.push_back(std::move(cdn));
  }
  return out;
}

} // namespace engine
