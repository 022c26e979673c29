#include "cache/forwarded_headers.hpp"

#include <gtest/gtest.h>

namespace {

using cache::Upstream;

const util::Headers k_client = {{"Host", "x"},
                                {"Authorization", "Bearer t"},
                                {"User-Agent", "hf_hub/1.0"},
                                {"Accept", "application/vnd.xet-fileinfo+json"},
                                {"Accept-Language", "fr"},
                                {"Accept-Encoding", "gzip"},
                                {"If-None-Match", "\"abc\""},
                                {"Range", "bytes=0-1"},
                                {"X-Hubcache-Expect-Sha256", "00"},
                                {"X-Custom-Secret", "s"},
                                {"Connection", "keep-alive"}};

// Issue 14: a header that can change the answer is keyed or never sent on.
TEST(ForwardedHeaders, OnlyScopedKeyedOrHarmlessHeadersGoUpstream) {
  EXPECT_EQ(cache::forwarded_headers(k_client, Upstream::origin),
            (util::Headers{{"Authorization", "Bearer t"},
                           {"Accept", "application/vnd.xet-fileinfo+json"},
                           {"Accept-Language", "fr"}}));
  // The Hub never gets an Accept: Xet's would switch a file to Xet.
  EXPECT_EQ(cache::forwarded_headers(k_client, Upstream::hub),
            (util::Headers{{"Authorization", "Bearer t"}}));
}

TEST(ForwardedHeaders, TheVariantKeyNamesWhatSelectsTheAnswer) {
  EXPECT_EQ(cache::variant_key(k_client, "GET"),
            " accept=application/vnd.xet-fileinfo+json accept-language=fr");
  EXPECT_EQ(cache::variant_key({{"Accept", "*/*"}}, "GET"), "");
  EXPECT_EQ(cache::variant_key({}, "GET"), "");
  EXPECT_EQ(cache::variant_key({{"Content-Type", "application/json"}}, "POST"), " content-type=application/json");
  EXPECT_EQ(cache::variant_key({{"Content-Type", "application/json"}}, "GET"), "");
}

// Issue 15: git gzips a large git-upload-pack request; the upstream must be told so, and a
// body's encoding is part of what selects the answer.
TEST(ForwardedHeaders, APostBodysContentEncodingGoesUpstreamAndIsKeyed) {
  const util::Headers gzipped = {{"Content-Type", "application/x-git-upload-pack-request"},
                                 {"Content-Encoding", "gzip"}};
  EXPECT_EQ(cache::forwarded_headers(gzipped, Upstream::origin), gzipped);
  EXPECT_EQ(cache::variant_key(gzipped, "POST"),
            " content-type=application/x-git-upload-pack-request content-encoding=gzip");
  EXPECT_EQ(cache::variant_key({{"Content-Encoding", "gzip"}}, "GET"), "");
}

TEST(ForwardedHeaders, AnAnswerThatVariesOnMoreThanItsKeyIsNotRecorded) {
  EXPECT_FALSE(cache::varies_beyond_key({{"Vary", "Accept-Encoding, Accept"}}));
  EXPECT_FALSE(cache::varies_beyond_key({{"Vary", "Accept-Language"}, {"Vary", "Origin"}}));
  EXPECT_TRUE(cache::varies_beyond_key({{"Vary", "*"}}));
  EXPECT_TRUE(cache::varies_beyond_key({{"Vary", "Accept, *"}}));
  EXPECT_FALSE(cache::varies_beyond_key({{"Vary", "Accept, user-agent"}}));  // never sent
  EXPECT_FALSE(cache::varies_beyond_key({}));
}

} // namespace
