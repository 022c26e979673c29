#include "engine/cdn_hosts.hpp"

#include <gtest/gtest.h>

namespace {

upstream::Url url(const std::string& text) {
  auto parsed = upstream::parse_url(text);
  EXPECT_TRUE(parsed) << text;
  return *parsed;
}

TEST(CdnHosts, TheHubAndItsSubdomainsAreTheHub) {
  EXPECT_TRUE(engine::is_hub(url("https://huggingface.co")));
  EXPECT_TRUE(engine::is_hub(url("https://eu.huggingface.co")));
  EXPECT_FALSE(engine::is_hub(url("https://nothuggingface.co")));
  EXPECT_FALSE(engine::is_hub(url("http://127.0.0.1:9000")));
}

TEST(CdnHosts, TheHubFollowsItsCdnWithoutAllowHost) {
  const auto hub = url("https://huggingface.co");
  const auto viewer = *engine::dataset_viewer(hub, "");
  const auto allow = engine::fetch_allow_list({}, hub, viewer);
  EXPECT_TRUE(upstream::allowed(allow, url("https://cdn-lfs.huggingface.co/repos/x")));
  EXPECT_TRUE(upstream::allowed(allow, url("https://cas-bridge.xethub.hf.co/xet-bridge-us/x")));
  EXPECT_TRUE(upstream::allowed(allow, url("https://huggingface.co/api/models/x")));
  EXPECT_TRUE(upstream::allowed(allow, url("https://datasets-server.huggingface.co/splits")));
  EXPECT_FALSE(upstream::allowed(allow, url("http://cdn-lfs.huggingface.co/x")));
  EXPECT_FALSE(upstream::allowed(allow, url("https://example.com/x")));
}

TEST(CdnHosts, AnotherUpstreamAllowsItsOwnOriginExactly) {
  const auto origin = url("http://127.0.0.1:9000");
  const auto viewer = *engine::dataset_viewer(origin, "");
  const auto allow = engine::fetch_allow_list({}, origin, viewer);
  EXPECT_TRUE(upstream::allowed(allow, url("http://127.0.0.1:9000/a")));
  // Not the other ports of its host (issue 14), nor the Hub's CDN.
  EXPECT_FALSE(upstream::allowed(allow, url("http://127.0.0.1:9001/a")));
  EXPECT_FALSE(upstream::allowed(allow, url("https://cdn-lfs.huggingface.co/x")));
}

TEST(CdnHosts, AllowHostPatternsComeFirst) {
  const auto origin = url("http://127.0.0.1:9000");
  const auto viewer = *engine::dataset_viewer(origin, "");
  const upstream::AllowList given = {*upstream::OriginPattern::parse("*.example.com")};
  const auto allow = engine::fetch_allow_list(given, origin, viewer);
  ASSERT_EQ(allow.size(), 3u);
  EXPECT_EQ(allow.front(), given.front());
  EXPECT_TRUE(upstream::allowed(allow, url("https://files.example.com/x")));
}

TEST(DatasetViewer, DefaultsToDatasetsServerOfTheUpstreamHost) {
  const auto viewer = engine::dataset_viewer(url("https://huggingface.co/some/path?x=1"), "");
  ASSERT_TRUE(viewer);
  EXPECT_EQ(viewer->host, "datasets-server.huggingface.co");
  EXPECT_EQ(viewer->path, "/");
  EXPECT_TRUE(viewer->query.empty());
}

TEST(DatasetViewer, TakesTheGivenUrlWithoutItsPath) {
  const auto viewer = engine::dataset_viewer(url("https://huggingface.co"), "http://127.0.0.1:7000/x?y=1");
  ASSERT_TRUE(viewer);
  EXPECT_EQ(viewer->host, "127.0.0.1");
  EXPECT_EQ(viewer->port, 7000);
  EXPECT_EQ(viewer->path, "/");
  EXPECT_TRUE(viewer->query.empty());
}

TEST(DatasetViewer, RefusesWhatIsNotAUrl) {
  EXPECT_FALSE(engine::dataset_viewer(url("https://huggingface.co"), "not a url"));
}

} // namespace
