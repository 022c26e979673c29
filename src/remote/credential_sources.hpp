// The credential sources that ask a service, one function per source, each one fetch (the
// caller, credential_provider.hpp, decides when): STS AssumeRoleWithWebIdentity (EKS IRSA),
// the container credentials endpoint (ECS, EKS Pod Identity), the EC2 instance metadata
// service (IMDSv2), and a profile's credential_process. Every request goes through the HTTP
// client box (upstream/http_client.hpp) with the SDKs' timeouts. Secrets (the web identity
// token, the authorization token, the keys) are never put in an error message.
#pragma once

#include "remote/aws_credentials.hpp"
#include "upstream/http_client.hpp"
#include "util/result.hpp"
#include "util/stop_signal.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace remote {

// How the sources make requests: the real transfer, or a scripted one in tests.
struct CredentialHttp {
  upstream::HttpClient::Transferer transferer = upstream::transfer;
  util::StopSignal* stop = nullptr; // the process's; outlives every use
};

// AssumeRoleWithWebIdentity for AWS_ROLE_ARN with the token in AWS_WEB_IDENTITY_TOKEN_FILE,
// read at each call (the kubelet rotates it), session name AWS_ROLE_SESSION_NAME or
// "hubcache-<ms>", at sts_endpoint(): a form POST, unsigned. Source "web identity role ARN".
// Errc::io: the token file cannot be read; Errc::upstream_status: STS refused (its Code and
// Message); transport errors as HttpClient's.
util::Result<AwsCredentials> web_identity_credentials(const Environment& env,
                                                      const CredentialHttp& http);

// The container endpoint's URL: http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
// else AWS_CONTAINER_CREDENTIALS_FULL_URI, which must be https, or http to a loopback address
// or to the ECS/EKS agents (169.254.170.2, 169.254.170.23, fd00:ec2::23), as the SDKs allow.
// nullopt: neither is set. Errc::invalid_argument: a full URI elsewhere.
util::Result<std::optional<std::string>> container_credentials_url(const Environment& env);

// GET of container_credentials_url() with Authorization from the file
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at each call: EKS rotates it), else
// AWS_CONTAINER_AUTHORIZATION_TOKEN. Source "container credentials".
util::Result<AwsCredentials> container_credentials(const Environment& env,
                                                   const CredentialHttp& http);

// IMDSv2 at imds_endpoint(): PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds),
// then the role from /latest/meta-data/iam/security-credentials/ and its credentials; 1 s
// timeouts and one retry, as the SDKs. nullopt: no metadata service answers (a transport
// failure of the token request) or the instance has no role (404). Source "instance profile ROLE".
util::Result<std::optional<AwsCredentials>>
instance_profile_credentials(const Environment& env, const CredentialHttp& http);

// Runs `command` (a profile's credential_process) with /bin/sh and reads its JSON
// ({"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}). Its
// stderr is the process's. Source "`source` (credential_process)".
util::Result<AwsCredentials> process_credentials(const std::string& command,
                                                 const std::string& source);

// Exposed for tests. --------------------------------------------------------------------
// The credentials in an AssumeRoleWithWebIdentity answer. Errc::corrupt if there are none.
util::Result<AwsCredentials> parse_sts_credentials(std::string_view xml);
// The JSON the container endpoint, IMDS and credential_process give (AccessKeyId,
// SecretAccessKey, Token or SessionToken, Expiration). Errc::corrupt if a key is missing.
util::Result<AwsCredentials> parse_json_credentials(std::string_view json);
// "2026-12-01T07:00:00Z", with optional fractional seconds and a "+HH:MM" offset.
std::optional<util::UnixMillis> parse_iso8601(std::string_view text);

} // namespace remote
