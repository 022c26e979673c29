// The generic mirror: GET/HEAD /path?query is answered as the upstream answers
// UPSTREAM/path?query, through the cache.
#pragma once

#include "cache/cache.hpp"
#include "http/router.hpp"
#include "upstream/url.hpp"

namespace cache {

// Registers the mirror as `router`'s fallback. `cache` must outlive the router's use.
void install_mirror(http::Router& router, Cache& cache, upstream::Url upstream);

// The upstream URL for an origin-form `target`: the upstream's origin and path prefix, then
// the target as sent (percent-encoding untouched). Errc::invalid_argument for other forms.
util::Result<upstream::Url> mirror_url(const upstream::Url& upstream, std::string_view target);

} // namespace cache
