// Where the AWS services hubcache talks to are, as the SDKs find them: a flag first, then
// AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, else the service's AWS address. Tests and
// non-AWS engines (Ceph, MinIO, a fake STS) point each service anywhere this way.
#pragma once

#include "remote/aws_credentials.hpp"

#include <string>

namespace remote {

// An endpoint and where it was named, for messages ("--s3-endpoint", "AWS_ENDPOINT_URL_S3").
struct NamedEndpoint {
  std::string url; // "": the service's AWS address
  std::string from;
};

// The S3 API's URL: `flag` (--s3-endpoint), AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL; "" means
// AWS in the region (parse_s3_location).
NamedEndpoint s3_endpoint(const Environment& env, const std::string& flag);

// STS: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else https://sts.REGION.amazonaws.com for
// AWS_REGION/AWS_DEFAULT_REGION (regional, the SDKs' default), or the global
// https://sts.amazonaws.com when no region is set or AWS_STS_REGIONAL_ENDPOINTS=legacy.
std::string sts_endpoint(const Environment& env);

// The instance metadata service: AWS_EC2_METADATA_SERVICE_ENDPOINT, else
// http://[fd00:ec2::254] with AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6, else
// http://169.254.169.254. No trailing '/'.
std::string imds_endpoint(const Environment& env);

} // namespace remote
