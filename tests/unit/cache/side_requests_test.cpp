#include "cache/side_requests.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using cache::match_side_request;
using cache::SideHost;

TEST(SideRequests, DatasetsDownloadCounter) {
  const auto* side = match_side_request(
      "HEAD", SideHost::named, "s3.amazonaws.com",
      "/datasets.huggingface.co/datasets/datasets/acme/tiny/tiny.py");
  ASSERT_NE(side, nullptr);
  EXPECT_EQ(side->what, "datasets' download counter");
  EXPECT_EQ(side->quiet, "HF_UPDATE_DOWNLOAD_COUNTS=0");
  // The rest of the host is no side request: a model on S3 is a download like any other.
  EXPECT_EQ(match_side_request("GET", SideHost::named, "s3.amazonaws.com", "/my-bucket/model.bin"),
            nullptr);
  EXPECT_EQ(match_side_request("HEAD", SideHost::named, "s3.amazonaws.com.evil.com",
                               "/datasets.huggingface.co/datasets/datasets/a/a.py"),
            nullptr);
}

TEST(SideRequests, UpdateChecksByPathShape) {
  EXPECT_NE(match_side_request("GET", SideHost::named, "pypi.org", "/pypi/huggingface_hub/json"),
            nullptr);
  EXPECT_NE(match_side_request("GET", SideHost::named, "pypi.org", "/pypi/transformers/json"),
            nullptr);
  // pip's own downloads from pypi.org are what a suite installs: never optional.
  EXPECT_EQ(match_side_request("GET", SideHost::named, "pypi.org", "/simple/requests/"), nullptr);
  EXPECT_EQ(match_side_request("GET", SideHost::named, "pypi.org", "/pypi/x/json/extra"), nullptr);
  EXPECT_NE(match_side_request("GET", SideHost::named, "formulae.brew.sh", "/api/formula/hf.json"),
            nullptr);
}

TEST(SideRequests, TheHostDecidesWhichEntriesApply) {
  // The Hub's telemetry only on the Hub; the viewer's paths only on the viewer.
  EXPECT_NE(match_side_request("HEAD", SideHost::hub, "", "/api/telemetry/datasets/load"), nullptr);
  EXPECT_EQ(match_side_request("HEAD", SideHost::named, "example.com", "/api/telemetry/x"), nullptr);
  const auto* info = match_side_request("GET", SideHost::dataset_viewer, "", "/info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->what, "datasets' dataset viewer lookup (/info)");
  EXPECT_NE(match_side_request("GET", SideHost::dataset_viewer, "", "/parquet"), nullptr);
  EXPECT_EQ(match_side_request("GET", SideHost::dataset_viewer, "", "/info/x"), nullptr);
  EXPECT_EQ(match_side_request("GET", SideHost::named, "example.com", "/info"), nullptr);
}

TEST(SideRequests, OnlyGetAndHead) {
  EXPECT_EQ(match_side_request("POST", SideHost::named, "pypi.org", "/pypi/x/json"), nullptr);
  EXPECT_EQ(match_side_request("PUT", SideHost::hub, "", "/api/telemetry/x"), nullptr);
}

TEST(SideRequests, SideHostsAreTheNamedOnes) {
  EXPECT_TRUE(cache::is_side_host("pypi.org"));
  EXPECT_TRUE(cache::is_side_host("s3.amazonaws.com"));
  EXPECT_FALSE(cache::is_side_host("huggingface.co"));
  EXPECT_FALSE(cache::is_side_host("files.pythonhosted.org"));
}

TEST(SideRequests, OfflineAnswerIsTaggedOptional) {
  const auto* side = match_side_request("GET", SideHost::named, "pypi.org", "/pypi/x/json");
  ASSERT_NE(side, nullptr);
  const auto answer = cache::offline_answer(*side);
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(answer.cache, "optional");
  EXPECT_EQ(answer.optional, "the hf CLI's update check");
}

TEST(SideRequests, EveryEntryIsComplete) {
  for (const auto& side : cache::side_requests()) {
    EXPECT_FALSE(side.what.empty());
    EXPECT_FALSE(side.path_prefix.empty());
    EXPECT_GE(side.offline_status, 200);
    EXPECT_EQ(side.where == SideHost::named, !side.host.empty()) << side.what;
    if (!side.quiet.empty()) {
      EXPECT_NE(side.quiet.find('='), std::string_view::npos) << side.what;
    }
  }
}

} // namespace
