#include "remote/aws_endpoints.hpp"

#include <gtest/gtest.h>

namespace remote {
namespace {

TEST(S3Endpoint, FlagThenServiceVariableThenTheGeneralOne) {
  const Environment both = {{"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1"},
                            {"AWS_ENDPOINT_URL", "http://127.0.0.1:2"}};
  EXPECT_EQ(s3_endpoint(both, "http://127.0.0.1:3").url, "http://127.0.0.1:3");
  EXPECT_EQ(s3_endpoint(both, "").url, "http://127.0.0.1:1");
  EXPECT_EQ(s3_endpoint(both, "").from, "AWS_ENDPOINT_URL_S3");
  EXPECT_EQ(s3_endpoint({{"AWS_ENDPOINT_URL", "http://127.0.0.1:2"}}, "").url,
            "http://127.0.0.1:2");
  EXPECT_EQ(s3_endpoint({}, "").url, "");
}

TEST(StsEndpoint, RegionalUnlessLegacyOrOverridden) {
  EXPECT_EQ(sts_endpoint({{"AWS_REGION", "eu-west-3"}}), "https://sts.eu-west-3.amazonaws.com");
  EXPECT_EQ(sts_endpoint({{"AWS_DEFAULT_REGION", "cn-north-1"}}),
            "https://sts.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(sts_endpoint({{"AWS_REGION", "eu-west-3"}, {"AWS_STS_REGIONAL_ENDPOINTS", "legacy"}}),
            "https://sts.amazonaws.com");
  EXPECT_EQ(sts_endpoint({}), "https://sts.amazonaws.com");
  EXPECT_EQ(
      sts_endpoint({{"AWS_REGION", "eu-west-3"}, {"AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"}}),
      "http://127.0.0.1:5000");
  EXPECT_EQ(sts_endpoint({{"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:6000"},
                          {"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}}),
            "http://127.0.0.1:6000");
}

TEST(ImdsEndpoint, OverriddenForTests) {
  EXPECT_EQ(imds_endpoint({}), "http://169.254.169.254");
  EXPECT_EQ(imds_endpoint({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}),
            "http://[fd00:ec2::254]");
  EXPECT_EQ(imds_endpoint({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/"}}),
            "http://127.0.0.1:1338");
}

} // namespace
} // namespace remote
