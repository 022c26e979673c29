// What of a client's request goes upstream, and what of it selects the answer (issue 14): a
// header that can change the answer is either part of the key (or the credential scope) or
// never sent on, so one client's variant is never served to another.
//   scoped:      Authorization, Cookie (credentials.hpp)
//   keyed:       Accept, Accept-Language (origins only), Content-Type and Content-Encoding (of
//                a POST: they say how to read its body, which git gzips when large, issue 15)
//   never sent:  everything else: conditionals, Range, encodings (hubcache asks for identity),
//                tracing ids, custom headers, and User-Agent (hubcache sends its own), so a
//                Vary on any of them names a value every client shares.
#pragma once

#include "util/headers.hpp"

#include <string>
#include <string_view>

namespace cache {

// Who answers: the Hub (whose answers never depend on Accept, and for whom an Accept of
// Xet's would switch a file to Xet) or any other origin.
enum class Upstream { hub, origin };

// The client's headers that go upstream.
util::Headers forwarded_headers(const util::Headers& client, Upstream upstream);

// The part of an origin's exchange key the client's headers select: " accept=..." and
// " accept-language=..." (and " content-type=..." and " content-encoding=..." for a POST); ""
// when the client sent only what every client sends (none, or Accept: */*).
std::string variant_key(const util::Headers& client, std::string_view method);

// Whether an answer depends on more than its key: `Vary: *` (every header the answer may vary
// on is either keyed or never sent). Such an answer is served, not recorded.
bool varies_beyond_key(const util::Headers& response);

} // namespace cache
