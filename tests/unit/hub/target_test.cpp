#include "hub/target.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using hub::Route;
using store::RepoType;

const std::string k_sha = "0123456789abcdef0123456789abcdef01234567";

hub::Target parse_ok(std::string_view target) {
  auto parsed = hub::parse_target(target);
  EXPECT_TRUE(parsed && *parsed) << target;
  return parsed && *parsed ? **parsed : hub::Target{};
}

// Not a Hub route at all: served as a plain recorded exchange.
bool not_hub(std::string_view target) {
  auto parsed = hub::parse_target(target);
  return parsed && !*parsed;
}

// A Hub route with a name that does not validate: answered 400.
bool refused(std::string_view target) { return !hub::parse_target(target); }

// --- /resolve ---------------------------------------------------------------------------

TEST(HubTargetResolve, OrgAndName) {
  const auto t = parse_ok("/org/name/resolve/main/config.json");
  EXPECT_EQ(t.route, Route::resolve);
  EXPECT_EQ(t.type, RepoType::model);
  EXPECT_EQ(t.repo_id, "org/name");
  EXPECT_EQ(t.revision, "main");
  EXPECT_EQ(t.path, "config.json");
  EXPECT_EQ(t.query, "");
}

TEST(HubTargetResolve, NestedPath) {
  const auto t = parse_ok("/org/name/resolve/" + k_sha + "/onnx/sub/model.onnx");
  EXPECT_EQ(t.repo_id, "org/name");
  EXPECT_EQ(t.revision, k_sha);
  EXPECT_EQ(t.path, "onnx/sub/model.onnx");
}

TEST(HubTargetResolve, DatasetAndSpacePrefixes) {
  const auto d = parse_ok("/datasets/org/squad/resolve/main/data/train.csv");
  EXPECT_EQ(d.route, Route::resolve);
  EXPECT_EQ(d.type, RepoType::dataset);
  EXPECT_EQ(d.repo_id, "org/squad");
  EXPECT_EQ(d.path, "data/train.csv");

  const auto s = parse_ok("/spaces/org/demo/resolve/main/app.py");
  EXPECT_EQ(s.type, RepoType::space);
  EXPECT_EQ(s.repo_id, "org/demo");
  EXPECT_EQ(s.path, "app.py");
}

TEST(HubTargetResolve, LegacyIdWithoutOrg) {
  const auto t = parse_ok("/gpt2/resolve/main/config.json");
  EXPECT_EQ(t.route, Route::resolve);
  EXPECT_EQ(t.type, RepoType::model);
  EXPECT_EQ(t.repo_id, "gpt2");
  EXPECT_EQ(t.revision, "main");
  EXPECT_EQ(t.path, "config.json");

  const auto nested = parse_ok("/bert-base-uncased/resolve/main/onnx/model.onnx");
  EXPECT_EQ(nested.repo_id, "bert-base-uncased");
  EXPECT_EQ(nested.path, "onnx/model.onnx");

  const auto dataset = parse_ok("/datasets/squad/resolve/main/README.md");
  EXPECT_EQ(dataset.type, RepoType::dataset);
  EXPECT_EQ(dataset.repo_id, "squad");
  EXPECT_EQ(dataset.path, "README.md");
}

TEST(HubTargetResolve, PercentEncodedRevision) {
  const auto t = parse_ok("/org/name/resolve/refs%2Fpr%2F1/config.json");
  EXPECT_EQ(t.revision, "refs/pr/1");
  EXPECT_EQ(t.path, "config.json");

  const auto branch = parse_ok("/org/name/resolve/feature%2Fx/a/b.txt");
  EXPECT_EQ(branch.revision, "feature/x");
  EXPECT_EQ(branch.path, "a/b.txt");
}

TEST(HubTargetResolve, RawPullRequestAndConvertRefs) {
  const auto pr = parse_ok("/org/name/resolve/refs/pr/1/config.json");
  EXPECT_EQ(pr.repo_id, "org/name");
  EXPECT_EQ(pr.revision, "refs/pr/1");
  EXPECT_EQ(pr.path, "config.json");

  const auto convert = parse_ok("/datasets/org/name/resolve/refs/convert/parquet/default/train/0.parquet");
  EXPECT_EQ(convert.revision, "refs/convert/parquet");
  EXPECT_EQ(convert.path, "default/train/0.parquet");

  // Legacy id and a raw ref together.
  const auto legacy = parse_ok("/gpt2/resolve/refs/pr/12/model.safetensors");
  EXPECT_EQ(legacy.repo_id, "gpt2");
  EXPECT_EQ(legacy.revision, "refs/pr/12");
  EXPECT_EQ(legacy.path, "model.safetensors");
}

TEST(HubTargetResolve, RawRefWithoutPathIsNotAFile) {
  EXPECT_TRUE(not_hub("/org/name/resolve/refs/pr/1"));
}

TEST(HubTargetResolve, PathDecodedOnce) {
  EXPECT_EQ(parse_ok("/org/name/resolve/main/my%20file.txt").path, "my file.txt");
  EXPECT_EQ(parse_ok("/org/name/resolve/main/a+b.txt").path, "a+b.txt");
  EXPECT_EQ(parse_ok("/org/name/resolve/main/a%2Bb.txt").path, "a+b.txt");
  EXPECT_EQ(parse_ok("/org/name/resolve/main/caf%C3%A9/%C3%A9t%C3%A9.txt").path,
            "caf\xC3\xA9/\xC3\xA9t\xC3\xA9.txt");
  EXPECT_EQ(parse_ok("/org/name/resolve/main/100%2541.txt").path, "100%41.txt");
  EXPECT_EQ(parse_ok("/org/name/resolve/main/q%3Fx%23y.txt").path, "q?x#y.txt");
}

TEST(HubTargetResolve, QueryKeptSeparately) {
  const auto t = parse_ok("/org/name/resolve/main/config.json?download=true&x=1");
  EXPECT_EQ(t.path, "config.json");
  EXPECT_EQ(t.query, "download=true&x=1");
}

TEST(HubTargetResolve, RawRoute) {
  const auto t = parse_ok("/org/name/raw/main/README.md");
  EXPECT_EQ(t.route, Route::resolve);
  EXPECT_EQ(t.repo_id, "org/name");
  EXPECT_EQ(t.revision, "main");
  EXPECT_EQ(t.path, "README.md");

  const auto legacy = parse_ok("/datasets/squad/raw/main/README.md");
  EXPECT_EQ(legacy.type, RepoType::dataset);
  EXPECT_EQ(legacy.repo_id, "squad");
}

TEST(HubTargetResolve, RejectsMissingParts) {
  EXPECT_TRUE(not_hub("/org/name/resolve/main"));
  EXPECT_TRUE(not_hub("/org/name/resolve/main/"));
  EXPECT_TRUE(not_hub("/org/name/resolve//config.json"));
  EXPECT_TRUE(not_hub("/org/name/resolve"));
}

// Issue 14: a Hub route whose names would leave a folder, alias another name or split a
// header is refused (400), never mapped to a file.
TEST(HubTargetResolve, Issue14RefusesHostileNames) {
  EXPECT_TRUE(refused("/org/name/resolve/main/../../etc/passwd"));
  EXPECT_TRUE(refused("/org/name/resolve/main/a/%2e%2e/b"));
  EXPECT_TRUE(refused("/org/name/resolve/main/a%00b.txt"));           // NUL aliases "a"
  EXPECT_TRUE(refused("/org/name/resolve/main/x%0d%0aX-Injected:%201"));
  EXPECT_TRUE(refused("/org/name/resolve/main/%2fetc%2fpasswd"));     // a leading '/'
  EXPECT_TRUE(refused("/org/name/resolve/main/a%2f%2fb"));            // an empty part
  EXPECT_TRUE(refused("/org/name/resolve/main/%ff.bin"));             // not UTF-8
  EXPECT_TRUE(refused("/org/name/resolve/..%2f..%2fx/config.json"));   // revision
  EXPECT_TRUE(refused("/org/name/resolve/ma%0ain/config.json"));
  EXPECT_TRUE(refused("/or--g/name/resolve/main/config.json"));        // "--" splits folders
  EXPECT_TRUE(refused("/api/models/org/name/tree/main/..%2f.."));
  EXPECT_TRUE(refused("/api/models/org/na%00me/revision/main"));
  // Unusual but fine: spaces, unicode, '+', dots inside a name.
  EXPECT_EQ(parse_ok("/org/name/resolve/main/dir/%C3%BCn%C3%AF%20code+plus.txt").path,
            "dir/ünï code+plus.txt");
  EXPECT_EQ(parse_ok("/org/name/resolve/main/.gitattributes").path, ".gitattributes");
}

// --- /api/resolve-cache (issue 15) ------------------------------------------------------

// Where the Hub's 307 sends a small file's resolve since 2025 (hf-protocol.md §11.1): the
// file at the commit, as a resolve at that commit names it.
TEST(HubTargetResolveCache, Issue15IsTheFileAtTheCommit) {
  const auto t = parse_ok("/api/resolve-cache/models/org/name/" + k_sha +
                          "/config.json?%2Forg%2Fname%2Fresolve%2Fmain%2Fconfig.json=&etag=%22abc%22");
  EXPECT_EQ(t.route, Route::resolve);
  EXPECT_EQ(t.type, RepoType::model);
  EXPECT_EQ(t.repo_id, "org/name");
  EXPECT_EQ(t.revision, k_sha);
  EXPECT_EQ(t.path, "config.json");
  EXPECT_EQ(t.query, "%2Forg%2Fname%2Fresolve%2Fmain%2Fconfig.json=&etag=%22abc%22");

  const auto d = parse_ok("/api/resolve-cache/datasets/org/data/" + k_sha + "/docs/a%20file.txt");
  EXPECT_EQ(d.route, Route::resolve);
  EXPECT_EQ(d.type, RepoType::dataset);
  EXPECT_EQ(d.repo_id, "org/data");
  EXPECT_EQ(d.path, "docs/a file.txt");
  EXPECT_EQ(parse_ok("/api/resolve-cache/spaces/org/demo/" + k_sha + "/app.py").type, RepoType::space);
}

TEST(HubTargetResolveCache, Issue15LegacyIdWithoutOrg) {
  const auto t = parse_ok("/api/resolve-cache/models/gpt2/" + k_sha + "/onnx/model.onnx");
  EXPECT_EQ(t.route, Route::resolve);
  EXPECT_EQ(t.repo_id, "gpt2");
  EXPECT_EQ(t.revision, k_sha);
  EXPECT_EQ(t.path, "onnx/model.onnx");
}

TEST(HubTargetResolveCache, Issue15WithoutACommitOrAPathIsOtherApi) {
  for (const std::string& target :
       std::vector<std::string>{"/api/resolve-cache", "/api/resolve-cache/models/org/name/main/config.json",
        "/api/resolve-cache/models/org/name/" + k_sha, "/api/resolve-cache/models/org/name/" + k_sha + "/",
        "/api/resolve-cache/kernels/org/name/" + k_sha + "/x.py",
        "/api/resolve-cache/models//name/" + k_sha + "/x.py"}) {
    EXPECT_EQ(parse_ok(target).route, Route::api_other) << target;
  }
}

TEST(HubTargetResolveCache, Issue15RefusesHostileNames) {
  EXPECT_TRUE(refused("/api/resolve-cache/models/org/name/" + k_sha + "/../../etc/passwd"));
  EXPECT_TRUE(refused("/api/resolve-cache/models/org/name/" + k_sha + "/a%00b.txt"));
  EXPECT_TRUE(refused("/api/resolve-cache/models/or--g/name/" + k_sha + "/config.json"));
}

// --- non-Hub targets ----------------------------------------------------------------------

TEST(HubTargetOther, NonHubTargetsAreNullopt) {
  EXPECT_TRUE(not_hub(""));
  EXPECT_TRUE(not_hub("/"));
  EXPECT_TRUE(not_hub("/favicon.ico"));
  EXPECT_TRUE(not_hub("/_hubcache/metrics"));
  EXPECT_TRUE(not_hub("/org/name"));
  EXPECT_TRUE(not_hub("/org/name/blob/main/config.json"));
  EXPECT_TRUE(not_hub("/org/name/tree/main"));
  EXPECT_TRUE(not_hub("https://huggingface.co/org/name/resolve/main/config.json"));
  EXPECT_TRUE(not_hub("org/name/resolve/main/config.json"));
  EXPECT_TRUE(not_hub("/info?dataset=squad"));
}

// --- /api ---------------------------------------------------------------------------------

TEST(HubTargetApi, RepoInfoWithoutRevision) {
  const auto t = parse_ok("/api/models/org/name");
  EXPECT_EQ(t.route, Route::repo_info);
  EXPECT_EQ(t.type, RepoType::model);
  EXPECT_EQ(t.repo_id, "org/name");
  EXPECT_FALSE(t.revision);

  const auto legacy = parse_ok("/api/models/gpt2?blobs=True");
  EXPECT_EQ(legacy.route, Route::repo_info);
  EXPECT_EQ(legacy.repo_id, "gpt2");
  EXPECT_EQ(legacy.query, "blobs=True");
}

TEST(HubTargetApi, RepoInfoWithRevision) {
  const auto t = parse_ok("/api/models/org/name/revision/main");
  EXPECT_EQ(t.route, Route::repo_info);
  EXPECT_EQ(t.repo_id, "org/name");
  EXPECT_EQ(t.revision, "main");

  EXPECT_EQ(parse_ok("/api/models/org/name/revision/refs%2Fpr%2F3").revision, "refs/pr/3");
  EXPECT_EQ(parse_ok("/api/models/org/name/revision/refs/pr/3").revision, "refs/pr/3");
  EXPECT_EQ(parse_ok("/api/models/org/name/revision/HEAD").revision, "HEAD");

  const auto legacy = parse_ok("/api/models/gpt2/revision/" + k_sha);
  EXPECT_EQ(legacy.route, Route::repo_info);
  EXPECT_EQ(legacy.repo_id, "gpt2");
  EXPECT_EQ(legacy.revision, k_sha);

  const auto space = parse_ok("/api/spaces/org/demo/revision/main?expand=sha");
  EXPECT_EQ(space.type, RepoType::space);
  EXPECT_EQ(space.repo_id, "org/demo");
  EXPECT_EQ(space.query, "expand=sha");
}

TEST(HubTargetApi, TreeOfFolderRecursive) {
  const auto t = parse_ok("/api/datasets/org/name/tree/main/data/train?recursive=true&expand=false");
  EXPECT_EQ(t.route, Route::tree);
  EXPECT_EQ(t.type, RepoType::dataset);
  EXPECT_EQ(t.repo_id, "org/name");
  EXPECT_EQ(t.revision, "main");
  EXPECT_EQ(t.path, "data/train");
  EXPECT_EQ(t.query, "recursive=true&expand=false");
}

TEST(HubTargetApi, TreeOfRoot) {
  const auto t = parse_ok("/api/models/org/name/tree/" + k_sha + "?recursive=True");
  EXPECT_EQ(t.route, Route::tree);
  EXPECT_EQ(t.revision, k_sha);
  EXPECT_FALSE(t.path);
  EXPECT_EQ(t.query, "recursive=True");
}

TEST(HubTargetApi, TreeEncodings) {
  // huggingface_hub encodes both the revision and the folder with safe="".
  const auto python = parse_ok("/api/models/org/name/tree/refs%2Fpr%2F2/sub%2Fdir%20x");
  EXPECT_EQ(python.revision, "refs/pr/2");
  EXPECT_EQ(python.path, "sub/dir x");
  // @huggingface/hub listFiles sends them raw.
  const auto js = parse_ok("/api/models/org/name/tree/refs/pr/2/sub/dir");
  EXPECT_EQ(js.revision, "refs/pr/2");
  EXPECT_EQ(js.path, "sub/dir");
  // transformers' additional_chat_templates probe on a legacy id.
  const auto legacy = parse_ok("/api/models/gpt2/tree/main/additional_chat_templates?recursive=False");
  EXPECT_EQ(legacy.route, Route::tree);
  EXPECT_EQ(legacy.repo_id, "gpt2");
  EXPECT_EQ(legacy.path, "additional_chat_templates");
}

TEST(HubTargetApi, PathsInfo) {
  const auto t = parse_ok("/api/datasets/org/name/paths-info/" + k_sha);
  EXPECT_EQ(t.route, Route::paths_info);
  EXPECT_EQ(t.type, RepoType::dataset);
  EXPECT_EQ(t.repo_id, "org/name");
  EXPECT_EQ(t.revision, k_sha);
  EXPECT_EQ(parse_ok("/api/models/org/name/paths-info/refs%2Fpr%2F1").revision, "refs/pr/1");
}

TEST(HubTargetApi, XetReadToken) {
  const auto t = parse_ok("/api/models/org/name/xet-read-token/" + k_sha);
  EXPECT_EQ(t.route, Route::xet_token);
  EXPECT_EQ(t.repo_id, "org/name");
  EXPECT_EQ(t.revision, k_sha);
}

TEST(HubTargetApi, Telemetry) {
  EXPECT_EQ(parse_ok("/api/telemetry/datasets/load?x=1").route, Route::telemetry);
  EXPECT_EQ(parse_ok("/api/telemetry").route, Route::telemetry);
}

TEST(HubTargetApi, OtherApiIsHubButNotSynthesized) {
  for (const std::string target :
       {"/api/whoami-v2", "/api", "/api/models", "/api/models/", "/api/models?search=bert",
        "/api/models/org/name/discussions", "/api/models/org/name/refs",
        "/api/models/org/name/tree", "/api/kernels/org/name"}) {
    const auto t = parse_ok(target);
    EXPECT_EQ(t.route, Route::api_other) << target;
    EXPECT_FALSE(t.repo_id) << target;
    EXPECT_FALSE(t.revision) << target;
    EXPECT_FALSE(t.path) << target;
  }
  EXPECT_EQ(parse_ok("/api/models?search=bert").query, "search=bert");
}

// --- helpers ------------------------------------------------------------------------------

TEST(HubTargetCommit, FortyLowerHexOnly) {
  EXPECT_TRUE(hub::is_commit(k_sha));
  EXPECT_TRUE(hub::is_commit(std::string(40, 'f')));
  EXPECT_FALSE(hub::is_commit("main"));
  EXPECT_FALSE(hub::is_commit(""));
  EXPECT_FALSE(hub::is_commit(k_sha.substr(0, 39)));
  EXPECT_FALSE(hub::is_commit(k_sha + "0"));
  EXPECT_FALSE(hub::is_commit(std::string(40, 'A')));
  EXPECT_FALSE(hub::is_commit(std::string(39, 'a') + "g"));
}

TEST(HubTargetPrefix, PerRepoType) {
  EXPECT_EQ(hub::url_prefix(RepoType::model), "");
  EXPECT_EQ(hub::url_prefix(RepoType::dataset), "datasets/");
  EXPECT_EQ(hub::url_prefix(RepoType::space), "spaces/");
}

TEST(HubTargetPrefix, ResolveUrlRoundTrips) {
  for (const auto type : {RepoType::model, RepoType::dataset, RepoType::space}) {
    const std::string target = "/" + std::string(hub::url_prefix(type)) + "org/name/resolve/main/a.txt";
    const auto t = parse_ok(target);
    EXPECT_EQ(t.type, type) << target;
    EXPECT_EQ(t.repo_id, "org/name") << target;
  }
}

} // namespace
