#include "cache/exchange_key.hpp"
#include "upstream/signed_url.hpp"

#include <gtest/gtest.h>

namespace {

upstream::Url url(const char* text) { return upstream::parse_url(text).value(); }

TEST(ExchangeKey, SortsTheQueryAndDropsSignatures) {
  const auto a = cache::exchange_key(
      "GET", url("https://cdn.test/f?b=2&X-Amz-Signature=s1&a=1&Expires=9&Key-Pair-Id=k&Policy=p"
                 "&Signature=x&x-amz-date=20261122"));
  const auto b = cache::exchange_key("GET", url("https://cdn.test/f?a=1&b=2&X-Amz-Signature=s2"));
  EXPECT_EQ(a, "GET https://cdn.test/f?a=1&b=2");
  EXPECT_EQ(a, b);
}

TEST(ExchangeKey, KeepsWhatChangesTheContent) {
  EXPECT_NE(cache::exchange_key("GET", url("http://o.test/f?rev=1")),
            cache::exchange_key("GET", url("http://o.test/f?rev=2")));
  EXPECT_NE(cache::exchange_key("GET", url("http://o.test/f")),
            cache::exchange_key("HEAD", url("http://o.test/f")));
  EXPECT_NE(cache::exchange_key("GET", url("http://o.test/a%2Fb")),
            cache::exchange_key("GET", url("http://o.test/a/b")));
}

TEST(ExchangeKey, LeavesOutIgnoredParameters) {
  EXPECT_EQ(cache::exchange_key("GET", url("http://o.test/f?t=123&x=1"), "", {"t"}),
            "GET http://o.test/f?x=1");
}

TEST(ExchangeKey, CredentialsScopeTheKeyWithoutAppearingInIt) {
  const auto scope = cache::credential_scope("salt", "Bearer hf_secret", "");
  EXPECT_EQ(scope.size(), 32u);
  EXPECT_EQ(scope, cache::credential_scope("salt", "Bearer hf_secret", ""));
  EXPECT_NE(scope, cache::credential_scope("salt", "Bearer other", ""));
  EXPECT_NE(scope, cache::credential_scope("pepper", "Bearer hf_secret", ""));
  EXPECT_EQ(cache::credential_scope("salt", "", ""), "");
  const auto key = cache::exchange_key("GET", url("http://o.test/f"), scope);
  EXPECT_EQ(key.find("hf_secret"), std::string::npos);
  EXPECT_NE(key, cache::exchange_key("GET", url("http://o.test/f")));
}

TEST(ExchangeKey, EveryKeyOfAnOriginStartsWithItsPrefix) {
  const auto prefix = cache::origin_key_prefix("GET", url("https://o.test:8443/"));
  EXPECT_EQ(prefix, "GET https://o.test:8443/");
  for (const char* text : {"https://o.test:8443/", "https://o.test:8443/a/b?x=1&Expires=2"}) {
    EXPECT_EQ(cache::exchange_key("GET", url(text), "scope").rfind(prefix, 0), 0u) << text;
  }
  // Another port, scheme or host (even one that starts the same) is another origin.
  for (const char* text : {"https://o.test/", "http://o.test:8443/", "https://o.test.evil:8443/"}) {
    EXPECT_NE(cache::exchange_key("GET", url(text)).rfind(prefix, 0), 0u) << text;
  }
  const auto shorter_port = cache::origin_key_prefix("GET", url("https://o.test:844/"));
  EXPECT_NE(cache::exchange_key("GET", url("https://o.test:8443/x")).rfind(shorter_port, 0), 0u);
  EXPECT_EQ(cache::origin_key_prefix("HEAD", url("http://o.test/x")), "HEAD http://o.test/");
}

} // namespace

namespace {

// Issue 14: a presigned URL's signature scopes its answer like a token; unsigned, or signed
// otherwise, the same URL is another key.
TEST(ExchangeKey, Issue14APresignedUrlsSignatureScopesItsKey) {
  const auto signed_url = url("https://b.s3.test/k?X-Amz-Date=1&X-Amz-Signature=s1");
  const auto scope = cache::credential_scope("salt", "", "", upstream::secret_params(signed_url.query));
  EXPECT_EQ(scope.size(), 32u);
  EXPECT_NE(scope, cache::credential_scope("salt", "", "", "X-Amz-Signature=s2"));
  const auto key = cache::exchange_key("GET", signed_url, scope);
  EXPECT_NE(key, cache::exchange_key("GET", url("https://b.s3.test/k")));
  EXPECT_EQ(key.find("s1"), std::string::npos);
  // A header credential's scope is what it always was (stores recorded before keep working).
  EXPECT_EQ(cache::credential_scope("salt", "Bearer t", "", ""), cache::credential_scope("salt", "Bearer t", ""));
}

} // namespace
