// X-Hubcache-Expect-Sha256: a client (preload, or anyone with curl -H) vouches for the
// sha256 of a body, and hubcache stores the body only if it hashes to that. The header is
// never forwarded upstream.
#pragma once

#include "util/headers.hpp"
#include "util/result.hpp"
#include "util/sha256.hpp"

#include <optional>
#include <string_view>

namespace cache {

inline constexpr std::string_view k_expect_sha256_header = "X-Hubcache-Expect-Sha256";

// The digest the request vouches for; std::nullopt without the header; Errc::invalid_argument
// when it is not 64 hex digits.
util::Result<std::optional<util::Sha256>> expected_sha256(const util::Headers& headers);

} // namespace cache
