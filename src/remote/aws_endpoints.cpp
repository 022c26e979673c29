#include "remote/aws_endpoints.hpp"

#include <algorithm>
#include <cctype>

namespace remote {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

} // namespace

NamedEndpoint s3_endpoint(const Environment& env, const std::string& flag) {
  if (!flag.empty()) return {flag, "--s3-endpoint"};
  for (const char* name : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
    if (auto url = env_value(env, name); !url.empty()) return {url, name};
  }
  return {};
}

std::string sts_endpoint(const Environment& env) {
  if (auto url = env_value(env, "AWS_ENDPOINT_URL_STS"); !url.empty())
    return without_trailing_slash(url);
  if (auto url = env_value(env, "AWS_ENDPOINT_URL"); !url.empty())
    return without_trailing_slash(url);
  std::string region = env_value(env, "AWS_REGION");
  if (region.empty()) region = env_value(env, "AWS_DEFAULT_REGION");
  if (region.empty() || lower(env_value(env, "AWS_STS_REGIONAL_ENDPOINTS")) == "legacy") {
    return "https://sts.amazonaws.com";
  }
  // China's partition has its own domain.
  const std::string domain = region.rfind("cn-", 0) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
  return "https://sts." + region + "." + domain;
}

std::string imds_endpoint(const Environment& env) {
  if (auto url = env_value(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT"); !url.empty()) {
    return without_trailing_slash(url);
  }
  if (lower(env_value(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")) == "ipv6")
    return "http://[fd00:ec2::254]";
  return "http://169.254.169.254";
}

} // namespace remote
