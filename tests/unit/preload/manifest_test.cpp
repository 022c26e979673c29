#include "preload/manifest.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

namespace {

using preload::parse_manifest;
using preload::RepoEntry;
using preload::UrlEntry;

TEST(Manifest, ReposWithTypesRevisionsAndGlobs) {
  const auto entries = parse_manifest(
      "# test defaults\n"
      "\n"
      "openai/whisper-tiny include=*.json,*.safetensors exclude=flax_*\n"
      "dataset:acme/squad-mini@v1.0   # pinned tag\n"
      "  space:acme/demo@refs/pr/3\n"
      "gpt2\n",
      "models.txt");
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 4u);
  const auto& whisper = std::get<RepoEntry>((*entries)[0].what);
  EXPECT_EQ(whisper.type, store::RepoType::model);
  EXPECT_EQ(whisper.repo_id, "openai/whisper-tiny");
  EXPECT_EQ(whisper.revision, "main");
  EXPECT_EQ(whisper.include, (std::vector<std::string>{"*.json", "*.safetensors"}));
  EXPECT_EQ(whisper.exclude, (std::vector<std::string>{"flax_*"}));
  EXPECT_EQ((*entries)[0].source, "models.txt:3");
  const auto& squad = std::get<RepoEntry>((*entries)[1].what);
  EXPECT_EQ(squad.type, store::RepoType::dataset);
  EXPECT_EQ(squad.revision, "v1.0");
  EXPECT_EQ(std::get<RepoEntry>((*entries)[2].what).revision, "refs/pr/3");
  EXPECT_EQ(std::get<RepoEntry>((*entries)[2].what).type, store::RepoType::space);
  EXPECT_EQ(std::get<RepoEntry>((*entries)[3].what).repo_id, "gpt2");
  EXPECT_EQ(preload::describe((*entries)[1]), "dataset:acme/squad-mini@v1.0");
}

TEST(Manifest, UrlsWithAndWithoutSha256) {
  const std::string hex(64, 'a');
  const auto entries = parse_manifest("https://example.org/w.pt sha256=" + hex +
                                          "\nhttp://example.org/a.jpg#frag\n",
                                      "m");
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  const auto& first = std::get<UrlEntry>((*entries)[0].what);
  EXPECT_EQ(first.url, "https://example.org/w.pt");
  ASSERT_TRUE(first.sha256);
  EXPECT_EQ(first.sha256->hex(), hex);
  // A '#' inside a token is part of the URL, not a comment.
  EXPECT_EQ(std::get<UrlEntry>((*entries)[1].what).url, "http://example.org/a.jpg#frag");
  EXPECT_FALSE(std::get<UrlEntry>((*entries)[1].what).sha256);
}

TEST(Manifest, EveryBadLineIsReportedWithItsNumberAndNothingIsReturned) {
  const auto entries = parse_manifest("good/repo\n"
                                      "bad repo/name\n"
                                      "weird:org/name\n"
                                      "org/name include=\n"
                                      "org/name@\n"
                                      "https://x.org/a sha256=123\n"
                                      "ftp://x.org/a\n"
                                      "org/name colour=blue\n"
                                      "org/--bad\n",
                                      "m.txt");
  ASSERT_FALSE(entries);
  const auto& message = entries.error().message;
  EXPECT_EQ(message.find("m.txt:1:"), std::string::npos);
  for (int line = 2; line <= 9; ++line) {
    EXPECT_NE(message.find("m.txt:" + std::to_string(line) + ":"), std::string::npos)
        << "line " << line << " in:\n" << message;
  }
  EXPECT_NE(message.find("unknown repo type 'weird'"), std::string::npos);
  EXPECT_NE(message.find("sha256= needs 64 hex digits"), std::string::npos);
  EXPECT_NE(message.find("unknown option 'colour=blue'"), std::string::npos);
}

TEST(Manifest, GlobsFollowHuggingfaceHubPatterns) {
  RepoEntry entry{store::RepoType::model, testutil::repo("org/name"), testutil::revision("main"), {}, {}};
  EXPECT_TRUE(preload::selects(entry, "anything/at/all.bin"));
  entry.include = {"*.json", "onnx/"};
  EXPECT_TRUE(preload::selects(entry, "config.json"));
  EXPECT_TRUE(preload::selects(entry, "sub/dir/tokenizer.json"));  // '*' crosses '/'
  EXPECT_TRUE(preload::selects(entry, "onnx/model.onnx"));         // "dir/" is everything under it
  EXPECT_FALSE(preload::selects(entry, "model.safetensors"));
  entry.exclude = {"*_quantized*"};
  EXPECT_FALSE(preload::selects(entry, "onnx/model_quantized.onnx"));
}

TEST(Manifest, UrlPrefixAndPlural) {
  EXPECT_EQ(preload::url_prefix(store::RepoType::model), "");
  EXPECT_EQ(preload::url_prefix(store::RepoType::dataset), "datasets/");
  EXPECT_EQ(preload::api_plural(store::RepoType::space), "spaces");
}

} // namespace
