// The query parameters that sign a URL (S3 and CloudFront presigned URLs, GCS signed URLs,
// Azure SAS, `?token=` APIs), known in one place: which of them are secret (they grant
// access, so they scope what was fetched and are never written anywhere) and which only vary
// per signing (dates, expiries: never part of a key). DESIGN.md, "Trust" (issue 14).
#pragma once

#include <string>
#include <string_view>

namespace upstream {

// X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token, Signature, Policy, Key-Pair-Id,
// X-Goog-Signature, X-Goog-Credential, sig, token, access_token (any case).
bool is_secret_param(std::string_view name);

// A secret parameter, or one that changes with each signing: X-Amz-*, X-Goog-*, Expires.
bool is_signing_param(std::string_view name);

// `url` (absolute, or an origin-form target) without its secret parameters: what may be
// written to a log, an index, a lockfile or an error message.
std::string redact_url(std::string_view url);

// The secret parameters of `url`'s query ("name=value" pairs, in order), "" when it has
// none: what makes a presigned URL's answer private to whoever holds that URL.
std::string secret_params(std::string_view query);

} // namespace upstream
