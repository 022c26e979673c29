// AWS credentials as a value, and the two sources that need no network: the AWS_* environment
// variables and a profile of the shared credentials and config files (credential_chain.hpp
// walks these and the others in the SDKs' order). Held in memory only: never written to disk,
// logs, errors or metrics.
#pragma once

#include "util/clock.hpp"
#include "util/result.hpp"

#include <map>
#include <optional>
#include <string>

namespace remote {

// The process environment (or a test's), as name → value.
using Environment = std::map<std::string, std::string>;

struct AwsCredentials {
  std::string access_key; // empty: anonymous (unsigned requests)
  std::string secret_key;
  std::string session_token; // empty: none
  std::string region = "us-east-1";
  // Where they came from, for messages, never a secret: "environment", "profile ci",
  // "web identity role arn:aws:iam::1:role/x", "container credentials", "instance profile R".
  std::string source;
  // When they stop working; nullopt: never (keys of a user, not of a session).
  std::optional<util::UnixMillis> expiration = std::nullopt;

  bool anonymous() const { return access_key.empty(); }
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (source "environment");
// nullopt when AWS_ACCESS_KEY_ID is unset. Errc::invalid_argument: a key id without a secret.
util::Result<std::optional<AwsCredentials>> environment_credentials(const Environment& env);

// Keys and tokens come from outside (a variable, a file, an endpoint's answer) and go into
// header lines: each must be printable ASCII without spaces, as every AWS key and token is.
// Errc::invalid_argument naming the source, never the value.
util::Result<void> check_key_text(const AwsCredentials& credentials);

// The profile AWS_PROFILE (default "default") in AWS_SHARED_CREDENTIALS_FILE (default
// ~/.aws/credentials), source "profile NAME"; nullopt when the file has no such section and
// AWS_PROFILE is unset. Errc::invalid_argument: a profile without both keys, or a named
// profile that does not exist.
util::Result<std::optional<AwsCredentials>> profile_credentials(const Environment& env);

// The profile's `credential_process` command line from AWS_CONFIG_FILE (~/.aws/config) or the
// credentials file, if it has one (and no static keys).
std::optional<std::string> profile_credential_process(const Environment& env);

// AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` in AWS_CONFIG_FILE (~/.aws/config),
// else us-east-1.
std::string aws_region(const Environment& env);

// The environment, then the shared files, else anonymous (source "none (anonymous)"), with
// the region of aws_region(): the sources that need no network. Errors as above.
util::Result<AwsCredentials> load_aws_credentials(const Environment& env);

// The process environment as the functions above take it.
Environment process_environment();

// The value of `name` in `env`, "" if unset.
std::string env_value(const Environment& env, const std::string& name);

} // namespace remote
