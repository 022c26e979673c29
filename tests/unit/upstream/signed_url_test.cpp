#include "upstream/signed_url.hpp"

#include <gtest/gtest.h>

namespace {

// Issue 14: the secret parameters of a presigned URL never reach a log, an index or a lock.
TEST(SignedUrl, RedactionRemovesTheSecretsAndKeepsTheRest) {
  EXPECT_EQ(upstream::redact_url("https://b.s3.test/k?X-Amz-Algorithm=A&X-Amz-Credential=AKIA%2Fx"
                                 "&X-Amz-Date=20261130&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
                                 "&X-Amz-Security-Token=FQoG&X-Amz-Signature=abc&v=2"),
            "https://b.s3.test/k?X-Amz-Algorithm=A&X-Amz-Date=20261130&X-Amz-Expires=60"
            "&X-Amz-SignedHeaders=host&v=2");
  EXPECT_EQ(upstream::redact_url("https://cdn.test/f?Expires=9&Signature=s&Key-Pair-Id=k&Policy=p"),
            "https://cdn.test/f?Expires=9");
  EXPECT_EQ(upstream::redact_url("/api/x?token=hunter2&page=2"), "/api/x?page=2");
  EXPECT_EQ(upstream::redact_url("https://a.blob.test/c?sv=1&sig=zz"), "https://a.blob.test/c?sv=1");
  EXPECT_EQ(upstream::redact_url("https://o.test/only?TOKEN=x"), "https://o.test/only");
  EXPECT_EQ(upstream::redact_url("https://o.test/plain"), "https://o.test/plain");
  EXPECT_EQ(upstream::redact_url("https://o.test/p?a=1&&b=2"), "https://o.test/p?a=1&b=2");
}

TEST(SignedUrl, SecretParamsAreWhatScopesTheAnswer) {
  EXPECT_EQ(upstream::secret_params("a=1&X-Amz-Signature=s&X-Amz-Date=d&token=t"),
            "X-Amz-Signature=s&token=t");
  EXPECT_EQ(upstream::secret_params("a=1&b=2"), "");
}

TEST(SignedUrl, SigningParamsIncludeWhatChangesWithEachSigning) {
  for (const char* name : {"X-Amz-Date", "x-amz-expires", "X-Goog-Date", "Expires", "Signature", "sig"}) {
    EXPECT_TRUE(upstream::is_signing_param(name)) << name;
  }
  for (const char* name : {"rev", "download", "expires_in", "signature_version_x"}) {
    EXPECT_FALSE(upstream::is_signing_param(name)) << name;
  }
  EXPECT_FALSE(upstream::is_secret_param("X-Amz-Date"));
  EXPECT_TRUE(upstream::is_secret_param("x-amz-security-token"));
}

} // namespace
