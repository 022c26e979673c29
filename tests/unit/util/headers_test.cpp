#include "util/headers.hpp"

#include <gtest/gtest.h>

namespace {

TEST(Headers, FindIgnoresCase) {
  util::Headers h = {{"Content-Type", "a"}, {"X-Repo-Commit", "b"}};
  EXPECT_EQ(util::find_header(h, "content-type"), "a");
  EXPECT_EQ(util::find_header(h, "X-REPO-COMMIT"), "b");
  EXPECT_FALSE(util::find_header(h, "ETag"));
}

TEST(Headers, DropsHopByHopAndWhatConnectionNames) {
  util::Headers h = {{"Connection", "keep-alive, X-Trace"}, {"Keep-Alive", "5"},
                     {"Transfer-Encoding", "chunked"}, {"X-Trace", "1"}, {"ETag", "\"e\""}};
  const auto out = util::without_hop_by_hop(h);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, "ETag");
}

TEST(Headers, SetReplacesEveryCopy) {
  util::Headers h = {{"A", "1"}, {"a", "2"}, {"B", "3"}};
  util::set_header(h, "A", "9");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(util::find_header(h, "a"), "9");
}

TEST(Headers, NormalizesEtags) {
  EXPECT_EQ(util::normalize_etag("\"abc\""), "abc");
  EXPECT_EQ(util::normalize_etag("W/\"abc\""), "abc");
  EXPECT_EQ(util::normalize_etag("abc"), "abc");
}

TEST(ParseHeaderLine, SplitsNameAndTrimsTheValue) {
  EXPECT_EQ(util::parse_header_line("ETag: \"abc\" \r\n"),
            std::make_pair(std::string("ETag"), std::string("\"abc\"")));
  EXPECT_EQ(util::parse_header_line("X-Empty:\r\n"), std::make_pair(std::string("X-Empty"), std::string()));
  EXPECT_EQ(util::parse_header_line("Location:\thttp://a:1/b"),
            std::make_pair(std::string("Location"), std::string("http://a:1/b")));
  EXPECT_FALSE(util::parse_header_line("HTTP/1.1 200 OK\r\n"));
  EXPECT_FALSE(util::parse_header_line("\r\n"));
}

TEST(Headers, NextLinkIsTheTargetOfRelNext) {
  EXPECT_EQ(util::next_link({{"Link", R"(<https://hub/api/x?cursor=abc>; rel="next")"}}),
            "https://hub/api/x?cursor=abc");
  EXPECT_EQ(util::next_link({{"link", R"(<https://a>; rel="prev", <https://b>; rel="next")"}}),
            "https://b");
  EXPECT_FALSE(util::next_link({{"Link", R"(<https://a>; rel="prev")"}}));
  EXPECT_FALSE(util::next_link({}));
}

} // namespace
