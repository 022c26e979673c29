#include "remote/s3_client.hpp"

#include <gtest/gtest.h>

namespace remote {
namespace {

TEST(ParseListPage, ReadsAdjacentContentsAndDecodesEntities) {
  const std::string xml =
      R"(<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>false</IsTruncated>)"
      R"(<Contents><Key>p/a&amp;b.txt</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>)"
      R"(<Contents><Key>p/c&#x20;d</Key><Size>7</Size><ETag>"def"</ETag></Contents></ListBucketResult>)";
  auto page = parse_list_page(xml);
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "p/a&b.txt");
  EXPECT_EQ(page->objects[0].size, 12u);
  EXPECT_EQ(page->objects[0].etag, "abc");
  EXPECT_EQ(page->objects[1].key, "p/c d");
  EXPECT_EQ(page->objects[1].etag, "def");
  EXPECT_FALSE(page->next_token);
}

TEST(ParseListPage, FollowsTruncationAndFolders) {
  const std::string xml =
      "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t/1=</NextContinuationToken>"
      "<CommonPrefixes><Prefix>refs/a/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>refs/b/</Prefix>"
      "</CommonPrefixes></ListBucketResult>";
  auto page = parse_list_page(xml);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->folders, (std::vector<std::string>{"refs/a/", "refs/b/"}));
  ASSERT_TRUE(page->next_token);
  EXPECT_EQ(*page->next_token, "t/1=");
}

TEST(ParseListPage, RefusesWhatIsNotAListing) {
  EXPECT_FALSE(parse_list_page("<Error><Code>AccessDenied</Code></Error>"));
  EXPECT_FALSE(parse_list_page("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"));
}

TEST(S3ErrorText, NamesCodeAndMessage) {
  EXPECT_EQ(s3_error_text("<Error><Code>SignatureDoesNotMatch</Code><Message>bad sig</Message></Error>"),
            "SignatureDoesNotMatch: bad sig");
  EXPECT_EQ(s3_error_text("<Error><Code>NoSuchBucket</Code></Error>"), "NoSuchBucket");
  EXPECT_EQ(s3_error_text("not xml"), "");
}

TEST(ParseS3Location, SplitsBucketAndPrefix) {
  auto at = parse_s3_location("s3://fleet-cache/ci/models", "http://127.0.0.1:7480", "us-east-1");
  ASSERT_TRUE(at) << at.error().message;
  EXPECT_EQ(at->bucket, "fleet-cache");
  EXPECT_EQ(at->prefix, "ci/models/");
  EXPECT_EQ(at->endpoint.to_string(), "http://127.0.0.1:7480/");
  EXPECT_EQ(at->to_string(), "s3://fleet-cache/ci/models/");
  auto bare = parse_s3_location("s3://fleet-cache", "", "eu-west-1");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->prefix, "");
  EXPECT_EQ(bare->endpoint.host, "s3.eu-west-1.amazonaws.com");
}

TEST(ParseS3Location, RefusesBadInput) {
  EXPECT_FALSE(parse_s3_location("http://fleet/x", "", "us-east-1"));
  EXPECT_FALSE(parse_s3_location("s3://ab/x", "", "us-east-1"));  // too short
  EXPECT_FALSE(parse_s3_location("s3://Fleet_Cache/x", "", "us-east-1"));
  EXPECT_FALSE(parse_s3_location("s3://fleet/x", "not a url", "us-east-1"));
}

TEST(S3Client, SignedFetchRequestEncodesTheKey) {
  auto at = parse_s3_location("s3://fleet/p", "http://127.0.0.1:9000", "us-east-1");
  ASSERT_TRUE(at);
  S3Client client(*at, AwsCredentials{"AK", "SK", "", "eu-central-1", "test"});
  const auto request = client.fetch_request("meta/files/a b+c.json");
  EXPECT_EQ(request.url.path, "/fleet/p/meta/files/a%20b%2Bc.json");
  ASSERT_TRUE(request.aws_sigv4);
  EXPECT_EQ(request.aws_sigv4->provider, "aws:amz:eu-central-1:s3");
  EXPECT_EQ(request.aws_sigv4->access_key, "AK");
  S3Client anonymous(*at, AwsCredentials{});
  EXPECT_FALSE(anonymous.fetch_request("x").aws_sigv4);
}

} // namespace
} // namespace remote
