// AWS credentials and region, found where every AWS tool looks: the AWS_* environment
// variables, else a profile of the shared credentials and config files. Held in memory only:
// never written to disk or logs.
#pragma once

#include "util/result.hpp"

#include <map>
#include <string>

namespace remote {

struct AwsCredentials {
  std::string access_key;     // empty: anonymous (unsigned requests)
  std::string secret_key;
  std::string session_token;  // empty: none
  std::string region = "us-east-1";
  std::string source;         // where they came from, for messages: "environment", "profile ci"

  bool anonymous() const { return access_key.empty(); }
};

// Looks in `env` (the process environment, as name → value): AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; else the profile AWS_PROFILE (default
// "default") in AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials). The region:
// AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` in AWS_CONFIG_FILE
// (~/.aws/config), else us-east-1. Errc::invalid_argument: a key id without a secret, or a
// named profile that does not exist.
util::Result<AwsCredentials> load_aws_credentials(const std::map<std::string, std::string>& env);

// The process environment as load_aws_credentials() takes it.
std::map<std::string, std::string> process_environment();

} // namespace remote
