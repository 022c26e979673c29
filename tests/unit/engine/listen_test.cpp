#include "engine/listen.hpp"

#include <gtest/gtest.h>

namespace {

TEST(ParseListen, ReadsHostAndPort) {
  const auto listen = engine::parse_listen("0.0.0.0:8780");
  ASSERT_TRUE(listen);
  EXPECT_EQ(listen->host, "0.0.0.0");
  EXPECT_EQ(listen->port, 8780);
}

TEST(ParseListen, AnEmptyHostIsLoopback) {
  const auto listen = engine::parse_listen(":0");
  ASSERT_TRUE(listen);
  EXPECT_EQ(listen->host, "127.0.0.1");
  EXPECT_EQ(listen->port, 0);
}

TEST(ParseListen, ReadsABracketedIpv6Host) {
  const auto listen = engine::parse_listen("[::1]:9000");
  ASSERT_TRUE(listen);
  EXPECT_EQ(listen->host, "::1");
  EXPECT_EQ(listen->port, 9000);
}

TEST(ParseListen, RefusesWhatIsNotHostColonPort) {
  for (const char* bad : {"", "localhost", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536",
                          "127.0.0.1:123456", "127.0.0.1:-1", "[::1]", "[::1]9000", "[::1:9000",
                          "127.0.0.1: 80"}) {
    EXPECT_FALSE(engine::parse_listen(bad)) << bad;
  }
}

TEST(ParseListen, TakesTheHighestPort) {
  const auto listen = engine::parse_listen("127.0.0.1:65535");
  ASSERT_TRUE(listen);
  EXPECT_EQ(listen->port, 65535);
}

} // namespace
