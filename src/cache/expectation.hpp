// Request headers a client sends to hubcache itself, never forwarded upstream (no header is,
// unless forwarded_headers.hpp names it):
// - X-Hubcache-Expect-Sha256: the client (preload, or anyone with curl -H) vouches for the
//   sha256 of a body, and hubcache stores the body only if it hashes to that;
// - X-Hubcache-Refresh: 1: in record mode, this one request is answered as refresh mode
//   would (ask upstream first, the stored answer if it fails). Preload asks a branch's
//   commit so, while files and URLs it already holds stay hits.
#pragma once

#include "util/headers.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <optional>
#include <string_view>

namespace cache {

inline constexpr std::string_view k_expect_sha256_header = "X-Hubcache-Expect-Sha256";
inline constexpr std::string_view k_refresh_header = "X-Hubcache-Refresh";

// Whether the request asks for X-Hubcache-Refresh.
bool wants_refresh(const util::Headers& headers);

// The digest the request vouches for; std::nullopt without the header; Errc::invalid_argument
// when it is not 64 hex digits.
util::Result<std::optional<util::Sha256>> expected_sha256(const util::Headers& headers);

} // namespace cache
