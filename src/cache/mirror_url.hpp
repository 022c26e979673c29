// Where the generic mirror sends a request: the upstream URL for a request target.
#pragma once

#include "upstream/url.hpp"
#include "util/result.hpp"

#include <string_view>

namespace cache {

// The upstream URL for an origin-form `target`: the upstream's origin and path prefix, then
// the target as sent (percent-encoding untouched). Errc::invalid_argument for other forms.
util::Result<upstream::Url> mirror_url(const upstream::Url& upstream, std::string_view target);

} // namespace cache
