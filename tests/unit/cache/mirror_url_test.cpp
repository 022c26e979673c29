#include "cache/mirror_url.hpp"

#include <gtest/gtest.h>

namespace {

TEST(MirrorUrl, AppendsTheTargetToTheUpstreamAsSent) {
  const auto upstream = upstream::parse_url("https://hub.test").value();
  EXPECT_EQ(cache::mirror_url(upstream, "/acme/tiny/resolve/refs%2Fpr%2F1/a%20b?x=1")->to_string(),
            "https://hub.test/acme/tiny/resolve/refs%2Fpr%2F1/a%20b?x=1");
  const auto prefixed = upstream::parse_url("http://mirror.test:8080/hf/").value();
  EXPECT_EQ(cache::mirror_url(prefixed, "/gpt2/resolve/main/config.json")->to_string(),
            "http://mirror.test:8080/hf/gpt2/resolve/main/config.json");
}

TEST(MirrorUrl, RefusesOtherRequestForms) {
  const auto upstream = upstream::parse_url("https://hub.test").value();
  EXPECT_FALSE(cache::mirror_url(upstream, "http://elsewhere.test/x"));
  EXPECT_FALSE(cache::mirror_url(upstream, "*"));
  EXPECT_FALSE(cache::mirror_url(upstream, ""));
}

} // namespace
