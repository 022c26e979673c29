// Keeps every client on plain HTTP through hubcache (hf-protocol.md §4.3): Xet headers, the
// Xet rels of Link, and "xetHash" keys are removed; the Hub's own URLs in Link and Location
// are rewritten to hubcache's origin, so pagination and redirects come back here.
#pragma once

#include "util/headers.hpp"

#include <string>
#include <string_view>

namespace hub {

// Without X-Xet-* headers and without the xet-auth / xet-reconstruction-info Link entries.
util::Headers strip_xet(const util::Headers& headers);

// `json` without any "xetHash" member (at any depth). Text that is not JSON, or JSON nested
// deeper than 256 levels, is returned as is.
std::string strip_xet_json(std::string_view json);

// Link and Location values starting with `upstream_origin` start with `own_origin` instead.
util::Headers rewrite_origin(const util::Headers& headers, std::string_view upstream_origin,
                             std::string_view own_origin);

} // namespace hub
