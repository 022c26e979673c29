#include "upstream/allow_list.hpp"

#include <gtest/gtest.h>

namespace {

upstream::OriginPattern pattern(const char* text) {
  auto parsed = upstream::OriginPattern::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << parsed.error().message;
  return parsed.value();
}

bool matches(const char* text, const char* url) {
  return pattern(text).matches(upstream::parse_url(url).value());
}

TEST(OriginPattern, WithoutAPortMeansTheSchemesDefault) {
  EXPECT_TRUE(matches("example.com", "http://example.com/x"));
  EXPECT_TRUE(matches("example.com", "https://example.com/x"));
  EXPECT_FALSE(matches("example.com", "http://example.com:8080/x"));
  EXPECT_FALSE(matches("example.com", "http://example.com:443/x"));
  EXPECT_FALSE(matches("example.com", "https://example.com:80/x"));
  EXPECT_TRUE(matches("https://example.com", "https://example.com:443/"));
  EXPECT_FALSE(matches("https://example.com", "http://example.com/"));
  EXPECT_TRUE(matches("http://example.com", "http://example.com/"));
  EXPECT_FALSE(matches("http://example.com", "https://example.com/"));
}

TEST(OriginPattern, APortIsExactOrAny) {
  // Issue 14: allowing 127.0.0.1:8790 allows no other port of 127.0.0.1.
  EXPECT_TRUE(matches("127.0.0.1:8790", "http://127.0.0.1:8790/"));
  EXPECT_TRUE(matches("127.0.0.1:8790", "https://127.0.0.1:8790/"));
  EXPECT_FALSE(matches("127.0.0.1:8790", "http://127.0.0.1:8791/"));
  EXPECT_FALSE(matches("127.0.0.1:8790", "http://127.0.0.1/"));
  EXPECT_TRUE(matches("http://127.0.0.1:8790", "http://127.0.0.1:8790/"));
  EXPECT_FALSE(matches("http://127.0.0.1:8790", "https://127.0.0.1:8790/"));
  EXPECT_TRUE(matches("localhost:*", "https://localhost:1/"));
  EXPECT_TRUE(matches("localhost:*", "http://localhost:65535/"));
  EXPECT_FALSE(matches("localhost:*", "http://localhost.evil:80/"));
  EXPECT_TRUE(matches("https://*:*", "https://anything.example:9/"));
  EXPECT_FALSE(matches("https://*:*", "http://anything.example:9/"));
}

TEST(OriginPattern, HostsAreExactWildcardOrAny) {
  EXPECT_TRUE(matches("cdn.test", "http://CDN.test/"));
  EXPECT_FALSE(matches("cdn.test", "http://evil-cdn.test/"));
  EXPECT_FALSE(matches("cdn.test", "http://a.cdn.test/"));
  EXPECT_TRUE(matches("https://*.hf.co", "https://cas-bridge.xethub.hf.co/"));
  EXPECT_TRUE(matches("https://*.hf.co", "https://hf.co/"));
  EXPECT_FALSE(matches("https://*.hf.co", "https://nothf.co/"));
  EXPECT_FALSE(matches("https://*.hf.co", "http://cdn.hf.co/"));
  EXPECT_FALSE(matches("https://*.hf.co", "https://cdn.hf.co:8443/"));
  EXPECT_TRUE(matches("*", "http://anything.example/"));
  EXPECT_FALSE(matches("*", "http://anything.example:8080/"));
  EXPECT_TRUE(matches("[::1]:9", "http://[::1]:9/"));
  EXPECT_TRUE(matches("HTTPS://Example.COM/", "https://example.com/"));
}

TEST(OriginPattern, ExactlyIsOneOrigin) {
  const auto upstream_url = upstream::parse_url("http://127.0.0.1:8790/api").value();
  const auto exact = upstream::OriginPattern::exactly(upstream_url);
  EXPECT_TRUE(exact.matches(upstream::parse_url("http://127.0.0.1:8790/other").value()));
  EXPECT_FALSE(exact.matches(upstream::parse_url("http://127.0.0.1:8791/").value()));
  EXPECT_FALSE(exact.matches(upstream::parse_url("https://127.0.0.1:8790/").value()));
  EXPECT_EQ(exact.to_string(), "http://127.0.0.1:8790");
  const auto https_url = upstream::parse_url("https://hf.co/").value();
  EXPECT_EQ(upstream::OriginPattern::exactly(https_url).to_string(), "https://hf.co");
}

TEST(OriginPattern, PrintsACanonicalFormThatParsesBack) {
  for (const char* text : {"example.com", "example.com:8080", "http://example.com",
                           "https://example.com:8443", "https://*.hf.co", "*", "*:*",
                           "http://[::1]:*", "[::1]"}) {
    const auto once = pattern(text);
    EXPECT_EQ(once.to_string(), text);
    EXPECT_EQ(pattern(once.to_string().c_str()), once) << text;
  }
  EXPECT_EQ(pattern("https://example.com:443").to_string(), "https://example.com");
  EXPECT_EQ(pattern("https://example.com:443"), pattern("https://example.com"));
  EXPECT_EQ(pattern("HTTP://Example.com/").to_string(), "http://example.com");
}

TEST(OriginPattern, RefusesWhatIsNotAnOrigin) {
  for (const char* bad : {"", "http://", "ftp://example.com", "example.com/path", "example.com?x",
                          "user@example.com", "example.com:0", "example.com:65536",
                          "example.com:http", "example.com:", "::1", "[::1", "*.", "*.*.com",
                          "a*.example.com", "exa mple.com", "*example.com", "example.com:8080:1",
                          "https://example.com//"}) {
    const auto parsed = upstream::OriginPattern::parse(bad);
    EXPECT_FALSE(parsed) << bad;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, util::Errc::invalid_argument);
      EXPECT_NE(parsed.error().message.find(std::string("'") + bad + "'"), std::string::npos)
          << parsed.error().message;
      EXPECT_EQ(parsed.error().message.find('\n'), std::string::npos);
    }
  }
}

TEST(AllowList, AllowsWhatAnyPatternMatches) {
  const upstream::AllowList list = {pattern("a.test"), pattern("https://*.b.test"),
                                    pattern("127.0.0.1:8791")};
  EXPECT_TRUE(upstream::allowed(list, upstream::parse_url("https://x.b.test/").value()));
  EXPECT_TRUE(upstream::allowed(list, upstream::parse_url("http://127.0.0.1:8791/").value()));
  EXPECT_FALSE(upstream::allowed(list, upstream::parse_url("http://x.b.test/").value()));
  EXPECT_FALSE(upstream::allowed(list, upstream::parse_url("http://127.0.0.1:8790/").value()));
  EXPECT_FALSE(upstream::allowed({}, upstream::parse_url("http://a.test/").value()));
}

} // namespace
