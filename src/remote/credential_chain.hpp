// The AWS credential chain as the SDKs walk it, for the fleet tier (serve/mount --remote,
// preload --publish, export --to): the first source configured gives the credentials.
//   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
//   2. web identity (EKS IRSA): AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE → STS;
//   3. container credentials (ECS, EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
//      or _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE);
//   4. the shared files' profile (AWS_PROFILE): static keys, or its credential_process;
//   5. the instance profile through IMDSv2, unless AWS_EC2_METADATA_DISABLED=true;
//   6. none: anonymous, unsigned requests (a public bucket).
// Sources 2, 3, 5 and a credential_process give expiring credentials, renewed before they
// expire (credential_provider.hpp).
#pragma once

#include "remote/credential_provider.hpp"
#include "remote/credential_sources.hpp"

#include <memory>

namespace remote {

// Picks the source. Only the instance profile is asked here (is there a metadata service
// with a role?), as it alone is found by asking; the others are asked at the first
// current(). Errc::invalid_argument: a source half configured (a key id without its secret,
// AWS_WEB_IDENTITY_TOKEN_FILE without AWS_ROLE_ARN, a container URI not allowed, a named
// profile that does not exist); errors of the metadata service as instance_profile_credentials().
// `clock` must outlive the provider.
util::Result<std::shared_ptr<CredentialProvider>>
credential_chain(const Environment& env, const CredentialHttp& http = {},
                 const util::Clock& clock = util::SystemClock::instance());

} // namespace remote
