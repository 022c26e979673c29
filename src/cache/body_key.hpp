// What of a POST's body selects its recorded answer: its sha256, taken over a canonical form
// where a protocol makes part of the body a set that its client lists in random order, so a
// fresh run of the same client asks for the same key (issue 15).
#pragma once

#include "util/headers.hpp"

#include <string>
#include <string_view>

namespace cache {

// " body=sha256:<64 hex>": the digest of `body` as sent, except for a git-lfs batch request
// (Content-Type application/vnd.git-lfs+json): the digest of its JSON with object keys sorted,
// `transfers` sorted (the adapters the client has, a set: git-lfs lists them in Go's random
// map order, and the server picks one by its own preference) and `objects` sorted (each is
// answered by its oid; git-lfs orders objects of equal size at random). A body that is not
// such JSON, or nests deeper than a batch request ever does, is taken as sent.
// Pure; safe from any thread.
std::string body_key(const util::Headers& request, std::string_view body);

} // namespace cache
