#include "hub/listing.hpp"

#include "testutil.hpp"
#include "util/sha256.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

namespace {

using nlohmann::json;

const std::string k_commit = "607a30d783dfa663caf39e06633721c8d4cfcd7e";

// gpt2's model.safetensors as the Hub lists it (hf-protocol.md §3.1): the blobId is the git
// sha1 of the LFS pointer, whose size is 134.
const std::string k_gpt2_sha256 = "248dfc3911869ec493c76e65bf2fcf7f615828b0254c12b473182f0f81d3a707";
const std::uint64_t k_gpt2_size = 548105171;
const std::string k_gpt2_pointer_oid = "44b36d6e32d13c8fb28b0feab0ac8bfefa7efeda";

store::HubObject regular(const std::string& path, const std::string& etag, std::uint64_t size) {
  return store::HubObject{{store::RepoType::model, testutil::repo("org/name"), testutil::commit_id(k_commit),
                           testutil::repo_path(path)},
                          util::Sha256{},
                          testutil::etag(etag),
                          size};
}

store::HubObject lfs(const std::string& path, const std::string& sha256, std::uint64_t size) {
  auto object = regular(path, sha256, size);
  object.lfs = true;
  return object;
}

hub::CommitListing sample_files() {
  return hub::listing_of({
      regular("config.json", "10c66461e4c109db5a2196bff4bb59be30396ed8", 665),
      lfs("model.safetensors", k_gpt2_sha256, k_gpt2_size),
      regular("onnx/config.json", std::string(40, '1'), 10),
      lfs("onnx/decoder/model.onnx", std::string(64, '2'), 2000),
      regular("onnx/decoder/weights/part1.bin", std::string(40, '3'), 30),
      regular("onnx_data.txt", std::string(40, '4'), 4),
  });
}

std::vector<std::string> paths_of(const json& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) out.push_back(entry.at("path").get<std::string>());
  return out;
}

const json* find_path(const json& entries, const std::string& path) {
  for (const auto& entry : entries) {
    if (entry.at("path") == path) return &entry;
  }
  return nullptr;
}

// --- lfs_pointer ------------------------------------------------------------------------

TEST(HubListingPointer, MatchesGitLfsSpec) {
  const auto pointer = hub::lfs_pointer(k_gpt2_sha256, k_gpt2_size);
  EXPECT_EQ(pointer, "version https://git-lfs.github.com/spec/v1\noid sha256:" + k_gpt2_sha256 +
                         "\nsize 548105171\n");
  EXPECT_EQ(pointer.size(), 134u);
  // `git hash-object` of it is the Hub's blobId for the file.
  std::string object = "blob 134";
  object.push_back('\0');
  EXPECT_EQ(util::sha1_hex(object + pointer), k_gpt2_pointer_oid);
}

// --- query_flag -------------------------------------------------------------------------

TEST(HubListingQueryFlag, AcceptsTheClientsSpellings) {
  EXPECT_TRUE(hub::query_flag("recursive=true&expand=false", "recursive"));
  EXPECT_TRUE(hub::query_flag("recursive=True", "recursive"));
  EXPECT_TRUE(hub::query_flag("recursive=TRUE", "recursive"));
  EXPECT_TRUE(hub::query_flag("cursor=x&recursive=1", "recursive"));
  EXPECT_TRUE(hub::query_flag("expand=false&recursive=true", "recursive"));
  EXPECT_FALSE(hub::query_flag("recursive=true&expand=false", "expand"));
  EXPECT_FALSE(hub::query_flag("recursive=False", "recursive"));
  EXPECT_FALSE(hub::query_flag("recursive=0", "recursive"));
  EXPECT_FALSE(hub::query_flag("recursive=yes", "recursive"));
  EXPECT_FALSE(hub::query_flag("recursive", "recursive"));
  EXPECT_FALSE(hub::query_flag("", "recursive"));
  EXPECT_FALSE(hub::query_flag("nonrecursive=true", "recursive"));
  EXPECT_FALSE(hub::query_flag("recursively=true", "recursive"));
}

// --- repo_info_json ---------------------------------------------------------------------

TEST(HubListingRepoInfo, MinimalShape) {
  const auto info = json::parse(
      *hub::repo_info_json(store::RepoType::model, testutil::repo("org/name"), testutil::commit_id(k_commit), sample_files(), ""));
  EXPECT_EQ(info["id"], "org/name");
  EXPECT_EQ(info["modelId"], "org/name");
  EXPECT_EQ(info["sha"], k_commit);
  EXPECT_EQ(info["private"], false);
  EXPECT_EQ(info["gated"], false);
  ASSERT_TRUE(info["_id"].is_string());
  EXPECT_EQ(info["_id"].get<std::string>().size(), 24u);
  ASSERT_TRUE(info["lastModified"].is_string());
  ASSERT_TRUE(info["siblings"].is_array());
  ASSERT_EQ(info["siblings"].size(), 6u);
  EXPECT_EQ(info["siblings"][0], json({{"rfilename", "config.json"}}));
  EXPECT_EQ(info["siblings"][3], json({{"rfilename", "onnx/decoder/model.onnx"}}));
  EXPECT_EQ(hub::repo_info_sha(info.dump()), k_commit);
}

TEST(HubListingRepoInfo, BlobsAddSizeBlobIdAndLfs) {
  const auto info = json::parse(*hub::repo_info_json(store::RepoType::model, testutil::repo("gpt2"), testutil::commit_id(k_commit),
                                                    sample_files(), "securityStatus=True&blobs=True"));
  const auto& siblings = info["siblings"];
  ASSERT_EQ(siblings.size(), 6u);
  EXPECT_EQ(siblings[0], json({{"rfilename", "config.json"},
                               {"size", 665},
                               {"blobId", "10c66461e4c109db5a2196bff4bb59be30396ed8"}}));
  const auto& model = siblings[1];
  EXPECT_EQ(model["rfilename"], "model.safetensors");
  EXPECT_EQ(model["size"], k_gpt2_size);
  EXPECT_EQ(model["blobId"], k_gpt2_pointer_oid);
  // "sha256" here, "oid" in the tree API.
  EXPECT_EQ(model["lfs"], json({{"sha256", k_gpt2_sha256}, {"size", k_gpt2_size}, {"pointerSize", 134}}));
  EXPECT_FALSE(siblings[0].contains("lfs"));
}

TEST(HubListingRepoInfo, DatasetHasNoModelId) {
  const auto info =
      json::parse(*hub::repo_info_json(store::RepoType::dataset, testutil::repo("org/data"), testutil::commit_id(k_commit), hub::CommitListing{}, "blobs=false"));
  EXPECT_EQ(info["id"], "org/data");
  EXPECT_FALSE(info.contains("modelId"));
  EXPECT_EQ(info["siblings"], json::array());
}

TEST(HubListingRepoInfo, IdIsStablePerRepo) {
  const auto a = json::parse(*hub::repo_info_json(store::RepoType::model, testutil::repo("org/a"), testutil::commit_id(k_commit), hub::CommitListing{}, ""));
  const auto a2 = json::parse(*hub::repo_info_json(store::RepoType::model, testutil::repo("org/a"), testutil::commit_id(std::string(40, 'f')), hub::CommitListing{}, ""));
  const auto b = json::parse(*hub::repo_info_json(store::RepoType::model, testutil::repo("org/b"), testutil::commit_id(k_commit), hub::CommitListing{}, ""));
  EXPECT_EQ(a["_id"], a2["_id"]);
  EXPECT_NE(a["_id"], b["_id"]);
}

TEST(HubListingRepoInfo, ShaOfOtherJson) {
  EXPECT_EQ(hub::repo_info_sha(R"({"id":"x","sha":"abc"})"), "abc");
  EXPECT_EQ(hub::repo_info_sha(R"({"id":"x"})"), "");
  EXPECT_EQ(hub::repo_info_sha(R"({"sha":1})"), "");
  EXPECT_EQ(hub::repo_info_sha(R"(["sha"])"), "");
  EXPECT_EQ(hub::repo_info_sha("not json"), "");
}

// --- tree_json --------------------------------------------------------------------------

TEST(HubListingTree, RootNotRecursive) {
  const auto tree = json::parse(*hub::tree_json("", sample_files(), false, false, testutil::commit_id(k_commit)));
  EXPECT_EQ(paths_of(tree),
            (std::vector<std::string>{"config.json", "model.safetensors", "onnx", "onnx_data.txt"}));
  const auto* onnx = find_path(tree, "onnx");
  ASSERT_TRUE(onnx);
  EXPECT_EQ((*onnx)["type"], "directory");
  EXPECT_EQ((*onnx)["size"], 0);
  ASSERT_TRUE((*onnx)["oid"].is_string());
  EXPECT_EQ((*onnx)["oid"].get<std::string>().size(), 40u);
}

TEST(HubListingTree, RegularAndLfsEntryShapes) {
  const auto tree = json::parse(*hub::tree_json("", sample_files(), false, false, testutil::commit_id(k_commit)));
  const auto* config = find_path(tree, "config.json");
  ASSERT_TRUE(config);
  EXPECT_EQ(*config, json({{"type", "file"},
                           {"oid", "10c66461e4c109db5a2196bff4bb59be30396ed8"},
                           {"size", 665},
                           {"path", "config.json"}}));
  const auto* model = find_path(tree, "model.safetensors");
  ASSERT_TRUE(model);
  EXPECT_EQ(*model, json({{"type", "file"},
                          {"oid", k_gpt2_pointer_oid},
                          {"size", k_gpt2_size},
                          {"path", "model.safetensors"},
                          {"lfs", {{"oid", k_gpt2_sha256}, {"size", k_gpt2_size}, {"pointerSize", 134}}}}));
  EXPECT_FALSE(model->contains("xetHash"));
  EXPECT_FALSE(model->contains("lastCommit"));
}

TEST(HubListingTree, RootRecursiveSynthesizesEveryDirectory) {
  const auto tree = json::parse(*hub::tree_json("", sample_files(), true, false, testutil::commit_id(k_commit)));
  EXPECT_EQ(paths_of(tree), (std::vector<std::string>{
                                "config.json", "model.safetensors", "onnx", "onnx/config.json",
                                "onnx/decoder", "onnx/decoder/model.onnx", "onnx/decoder/weights",
                                "onnx/decoder/weights/part1.bin", "onnx_data.txt"}));
  for (const auto* dir : {"onnx", "onnx/decoder", "onnx/decoder/weights"}) {
    const auto* entry = find_path(tree, dir);
    ASSERT_TRUE(entry) << dir;
    EXPECT_EQ((*entry)["type"], "directory") << dir;
  }
  const auto paths = paths_of(tree);
  EXPECT_EQ(std::set<std::string>(paths.begin(), paths.end()).size(), paths.size());
}

TEST(HubListingTree, FolderNotRecursive) {
  const auto tree = json::parse(*hub::tree_json("onnx", sample_files(), false, false, testutil::commit_id(k_commit)));
  // Full paths from the repo root, as the Hub gives them; "onnx_data.txt" is not in "onnx".
  EXPECT_EQ(paths_of(tree), (std::vector<std::string>{"onnx/config.json", "onnx/decoder"}));
  const auto* decoder = find_path(tree, "onnx/decoder");
  ASSERT_TRUE(decoder);
  EXPECT_EQ((*decoder)["type"], "directory");
}

TEST(HubListingTree, FolderRecursiveAndTrailingSlash) {
  const auto expected = std::vector<std::string>{"onnx/decoder/model.onnx", "onnx/decoder/weights",
                                                 "onnx/decoder/weights/part1.bin"};
  EXPECT_EQ(paths_of(json::parse(*hub::tree_json("onnx/decoder", sample_files(), true, false, testutil::commit_id(k_commit)))),
            expected);
  EXPECT_EQ(paths_of(json::parse(*hub::tree_json("onnx/decoder/", sample_files(), true, false, testutil::commit_id(k_commit)))),
            expected);
}

TEST(HubListingTree, UnknownFolderIsEmpty) {
  EXPECT_EQ(json::parse(*hub::tree_json("missing", sample_files(), true, false, testutil::commit_id(k_commit))), json::array());
  EXPECT_EQ(json::parse(*hub::tree_json("", hub::CommitListing{}, true, false, testutil::commit_id(k_commit))), json::array());
}

TEST(HubListingTree, ExpandAddsLastCommitToFiles) {
  const auto tree = json::parse(*hub::tree_json("", sample_files(), false, true, testutil::commit_id(k_commit)));
  const auto* config = find_path(tree, "config.json");
  ASSERT_TRUE(config);
  ASSERT_TRUE(config->contains("lastCommit"));
  EXPECT_EQ((*config)["lastCommit"]["id"], k_commit);
  EXPECT_TRUE((*config)["lastCommit"]["title"].is_string());
  EXPECT_TRUE((*config)["lastCommit"]["date"].is_string());
}

// --- paths-info -------------------------------------------------------------------------

TEST(HubListingPathsInfo, ParsesFormBody) {
  const auto q = hub::parse_paths_info("paths=config.json&paths=onnx%2Fmodel+v2.onnx&expand=False",
                                       "application/x-www-form-urlencoded");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->paths, (std::vector<std::string>{"config.json", "onnx/model v2.onnx"}));
  EXPECT_FALSE(q->expand);
}

TEST(HubListingPathsInfo, FormExpandInAnyCase) {
  EXPECT_TRUE(hub::parse_paths_info("paths=a&expand=True", "application/x-www-form-urlencoded")->expand);
  EXPECT_TRUE(hub::parse_paths_info("paths=a&expand=true", "")->expand);
  EXPECT_TRUE(hub::parse_paths_info("expand=1&paths=a", "")->expand);
  EXPECT_FALSE(hub::parse_paths_info("paths=a&expand=false", "")->expand);
  EXPECT_FALSE(hub::parse_paths_info("paths=a", "")->expand);
}

TEST(HubListingPathsInfo, ParsesJsonBody) {
  const auto q = hub::parse_paths_info(R"({"paths":["b.txt","a/c.txt"],"expand":true})",
                                       "application/json; charset=utf-8");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->paths, (std::vector<std::string>{"a/c.txt", "b.txt"}));
  EXPECT_TRUE(q->expand);
  const auto plain = hub::parse_paths_info(R"({"paths":["x"]})", "application/json");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->paths, std::vector<std::string>{"x"});
  EXPECT_FALSE(plain->expand);
}

TEST(HubListingPathsInfo, RejectsBadJson) {
  EXPECT_FALSE(hub::parse_paths_info("{", "application/json"));
  EXPECT_FALSE(hub::parse_paths_info(R"({"path":["x"]})", "application/json"));
  EXPECT_FALSE(hub::parse_paths_info(R"({"paths":"x"})", "application/json"));
  EXPECT_FALSE(hub::parse_paths_info(R"({"paths":[1]})", "application/json"));
  EXPECT_FALSE(hub::parse_paths_info(R"(["x"])", "application/json"));
}

TEST(HubListingPathsInfo, DeduplicatesPaths) {
  const auto q = hub::parse_paths_info("paths=b&paths=a&paths=b", "application/x-www-form-urlencoded");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->paths, (std::vector<std::string>{"a", "b"}));
}

TEST(HubListingPathsInfo, AnswersFilesAndFoldersAndOmitsUnknown) {
  hub::PathsInfoQuery query;
  query.paths = {"config.json", "missing.txt", "model.safetensors", "onnx", "onnx/deco"};
  const auto out = json::parse(*hub::paths_info_json(query, sample_files(), testutil::commit_id(k_commit)));
  EXPECT_EQ(paths_of(out), (std::vector<std::string>{"config.json", "model.safetensors", "onnx"}));
  EXPECT_EQ(out[0], json({{"type", "file"},
                          {"oid", "10c66461e4c109db5a2196bff4bb59be30396ed8"},
                          {"size", 665},
                          {"path", "config.json"}}));
  EXPECT_EQ(out[1]["oid"], k_gpt2_pointer_oid);
  EXPECT_EQ(out[1]["lfs"]["oid"], k_gpt2_sha256);
  EXPECT_EQ(out[1]["lfs"]["pointerSize"], 134);
  EXPECT_EQ(out[2]["type"], "directory");
  EXPECT_EQ(out[2]["size"], 0);
  EXPECT_FALSE(out[0].contains("lastCommit"));
}

TEST(HubListingPathsInfo, ExpandAddsLastCommit) {
  hub::PathsInfoQuery query;
  query.paths = {"config.json"};
  query.expand = true;
  const auto out = json::parse(*hub::paths_info_json(query, sample_files(), testutil::commit_id(k_commit)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["lastCommit"]["id"], k_commit);
}

TEST(HubListingPathsInfo, DirectoryOidMatchesTree) {
  hub::PathsInfoQuery query;
  query.paths = {"onnx/decoder"};
  const auto info = json::parse(*hub::paths_info_json(query, sample_files(), testutil::commit_id(k_commit)));
  const auto tree = json::parse(*hub::tree_json("onnx", sample_files(), false, false, testutil::commit_id(k_commit)));
  ASSERT_EQ(info.size(), 1u);
  const auto* dir = find_path(tree, "onnx/decoder");
  ASSERT_TRUE(dir);
  EXPECT_EQ(info[0], *dir);
}

} // namespace
