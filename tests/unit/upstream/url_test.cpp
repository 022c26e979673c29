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

TEST(Url, SplitsAuthorities) {
  const auto plain = upstream::split_authority("example.com:8080");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "example.com");
  EXPECT_EQ(plain->port, "8080");
  EXPECT_EQ(upstream::split_authority("example.com")->port, std::nullopt);
  EXPECT_EQ(upstream::split_authority("[::1]:9")->host, "::1");
  EXPECT_EQ(upstream::split_authority("[::1]")->port, std::nullopt);
  EXPECT_FALSE(upstream::split_authority("::1:9"));     // IPv6 without brackets
  EXPECT_FALSE(upstream::split_authority("[::1"));      // unclosed
  EXPECT_FALSE(upstream::split_authority("[::1]x:9"));  // junk after ']'
}

TEST(Url, HostNamesAreNamesOrAddressesOnly) {
  for (const char* good : {"example.com", "a-b_c.example", "127.0.0.1", "::1", "localhost"}) {
    EXPECT_TRUE(upstream::is_host_name(good)) << good;
  }
  for (const char* bad : {"", ".", "a..b", ".a", "a.", "user@host", "a/b", "a b", "a,DNS:*.x",
                          "a%00b", "*.example.com", "fe80::1%eth0"}) {
    EXPECT_FALSE(upstream::is_host_name(bad)) << bad;
  }
  EXPECT_FALSE(upstream::is_host_name(std::string(254, 'a')));
}

TEST(Url, ConnectTargetsNameAnHttpsOrigin) {
  const auto url = upstream::parse_connect_target("Example.COM:8443");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->to_string(), "https://example.com:8443/");
  EXPECT_EQ(upstream::parse_connect_target("[::1]:443")->origin(), "https://[::1]");
  EXPECT_FALSE(upstream::parse_connect_target("example.com"));  // CONNECT names its port
  // Issue 14: nothing but a host and a port gets through (no SAN list, no userinfo).
  for (const char* bad : {"a,DNS:*.example.com:443", "user@example.com:443", "example.com:0",
                          "example.com:65536", "example.com:", "example.com:x", ":443",
                          "example.com/x:443", "example.com:443/"}) {
    EXPECT_FALSE(upstream::parse_connect_target(bad)) << bad;
  }
}

TEST(Url, PortsAreOneTo65535) {
  EXPECT_EQ(upstream::parse_port("1"), 1);
  EXPECT_EQ(upstream::parse_port("65535"), 65535);
  for (const char* bad : {"", "0", "65536", "00080x", "-1", "+80", "123456", " 80"}) {
    EXPECT_FALSE(upstream::parse_port(bad)) << bad;
  }
}

} // namespace
