#include "upstream/url.hpp"

#include <gtest/gtest.h>

namespace {

TEST(Url, SplitsAndKeepsThePathAsSent) {
  auto url = upstream::parse_url("https://Huggingface.CO/acme/tiny/resolve/refs%2Fpr%2F3/a%20b.txt?x=1");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "huggingface.co");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path, "/acme/tiny/resolve/refs%2Fpr%2F3/a%20b.txt");
  EXPECT_EQ(url->query, "x=1");
  EXPECT_EQ(url->origin(), "https://huggingface.co");
  EXPECT_EQ(url->to_string(), "https://huggingface.co/acme/tiny/resolve/refs%2Fpr%2F3/a%20b.txt?x=1");
}

TEST(Url, NamesNonDefaultPortsOnly) {
  EXPECT_EQ(upstream::parse_url("http://127.0.0.1:8080/")->origin(), "http://127.0.0.1:8080");
  EXPECT_EQ(upstream::parse_url("http://example.com:80/")->origin(), "http://example.com");
  EXPECT_EQ(upstream::parse_url("http://[::1]:9/")->origin(), "http://[::1]:9");
  EXPECT_EQ(upstream::parse_url("http://example.com")->path, "/");
}

TEST(Url, RefusesWhatIsNotHttp) {
  EXPECT_FALSE(upstream::parse_url("ftp://example.com/x"));
  EXPECT_FALSE(upstream::parse_url("not a url"));
  EXPECT_FALSE(upstream::parse_url(""));
}

TEST(Url, ResolvesRedirectLocations) {
  const auto base = upstream::parse_url("https://hub.test/acme/tiny/resolve/main/w.bin").value();
  EXPECT_EQ(upstream::resolve_url(base, "https://cdn.test/blob/ab?X-Amz-Signature=s")->to_string(),
            "https://cdn.test/blob/ab?X-Amz-Signature=s");
  EXPECT_EQ(upstream::resolve_url(base, "/api/resolve-cache/models/x")->to_string(),
            "https://hub.test/api/resolve-cache/models/x");
  EXPECT_EQ(upstream::resolve_url(base, "//cdn.test/y")->to_string(), "https://cdn.test/y");
  EXPECT_EQ(upstream::resolve_url(base, "other.bin")->to_string(),
            "https://hub.test/acme/tiny/resolve/main/other.bin");
}

TEST(HostPatterns, MatchExactWildcardAndAny) {
  EXPECT_TRUE(upstream::host_matches("cdn.test", "CDN.test"));
  EXPECT_FALSE(upstream::host_matches("cdn.test", "evil-cdn.test"));
  EXPECT_TRUE(upstream::host_matches("*.hf.co", "cas-bridge.xethub.hf.co"));
  EXPECT_TRUE(upstream::host_matches("*.hf.co", "hf.co"));
  EXPECT_FALSE(upstream::host_matches("*.hf.co", "nothf.co"));
  EXPECT_TRUE(upstream::host_matches("*", "anything.example"));
  EXPECT_TRUE(upstream::host_allowed({"a.test", "*.b.test"}, "x.b.test"));
  EXPECT_FALSE(upstream::host_allowed({"a.test"}, "b.test"));
}

} // namespace
