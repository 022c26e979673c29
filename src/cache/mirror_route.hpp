// The generic mirror: GET/HEAD /path?query is answered as the upstream answers
// UPSTREAM/path?query, through the cache.
#pragma once

#include "cache/cache.hpp"
#include "http/router.hpp"
#include "cache/mirror_url.hpp"

namespace cache {

// The generic mirror's handler. `cache` must outlive it.
http::Handler mirror_handler(Cache& cache, upstream::Url upstream);

// Registers the mirror as `router`'s fallback. `cache` must outlive the router's use.
void install_mirror(http::Router& router, Cache& cache, upstream::Url upstream);

} // namespace cache
