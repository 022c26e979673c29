#include "util/host_name.hpp"

#include <gtest/gtest.h>

namespace {

TEST(HostName, DnsNamesAreLowerCased) {
  const auto host = util::HostName::parse("CDN-lfs.Example.test");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->kind(), util::HostName::Kind::dns);
  EXPECT_EQ(host->text(), "cdn-lfs.example.test");
  EXPECT_TRUE(host->address().empty());
  EXPECT_TRUE(util::HostName::parse("localhost"));
  EXPECT_TRUE(util::HostName::parse("xn--bcher-kva.example"));
  EXPECT_TRUE(util::HostName::parse("1password.com"));
}

TEST(HostName, IpLiteralsAreAddresses) {
  const auto v4 = util::HostName::parse("127.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->kind(), util::HostName::Kind::ipv4);
  EXPECT_EQ(v4->address().size(), 4u);
  EXPECT_EQ(v4->address()[0], 127);
  const auto v6 = util::HostName::parse("0:0:0:0:0:0:0:1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->kind(), util::HostName::Kind::ipv6);
  EXPECT_EQ(v6->text(), "::1");
  EXPECT_EQ(v6->url_host(), "[::1]");
  EXPECT_EQ(v6->address().size(), 16u);
}

// Issue 14, finding 9: what a CONNECT could smuggle into a certificate.
TEST(HostName, HostileNamesAreRefused) {
  for (const char* text :
       {"", "a,DNS:*.example.com", "*.example.com", "a.*.example.com", "example.com:443",
        "exa mple.com", "example.com.", ".example.com", "a..b", "-a.example", "a-.example",
        "under_score.example", "caf\xc3\xa9.example", "a\r\nb", "1.2.3.999", "127.1",
        "fe80::1%eth0", "[::1]", "a/b", "IP:127.0.0.1"}) {
    EXPECT_FALSE(util::HostName::parse(text)) << text;
  }
  EXPECT_FALSE(util::HostName::parse(std::string_view("a\0b", 3)));
  EXPECT_FALSE(util::HostName::parse(std::string(64, 'a') + ".example"));  // a label > 63
  EXPECT_TRUE(util::HostName::parse(std::string(63, 'a') + ".example"));
  std::string long_name;
  while (long_name.size() < 250) long_name += "abcdefghi.";
  long_name += "example";  // > 253 in all
  EXPECT_FALSE(util::HostName::parse(long_name));
}

TEST(Authority, HostAndPortAreBothRequiredAndChecked) {
  const auto plain = util::parse_authority("huggingface.co:443");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host.text(), "huggingface.co");
  EXPECT_EQ(plain->port, 443);
  const auto v6 = util::parse_authority("[::1]:8443");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host.text(), "::1");
  EXPECT_EQ(v6->port, 8443);
  for (const char* text : {"huggingface.co", "huggingface.co:", "huggingface.co:0",
                           "huggingface.co:65536", "huggingface.co:44x", "a,DNS:*.example.com:443",
                           "::1:443", "[127.0.0.1]:443", "[::1]", "[::1]443", ":443",
                           "a:b:443"}) {
    EXPECT_FALSE(util::parse_authority(text)) << text;
  }
}

} // namespace
