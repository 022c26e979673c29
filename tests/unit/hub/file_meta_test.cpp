#include "hub/file_meta.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

const std::string k_commit = "607a30d783dfa663caf39e06633721c8d4cfcd7e";
const std::string k_blob_sha1 = "10c66461e4c109db5a2196bff4bb59be30396ed8";
const std::string k_sha256 = "248dfc3911869ec493c76e65bf2fcf7f615828b0254c12b473182f0f81d3a707";

// A regular (git-stored) file: the Hub answers 200 itself (hf-protocol.md §1.4).
upstream::ResponseHead regular_head() {
  upstream::ResponseHead head;
  head.status = 200;
  head.url = "https://huggingface.co/gpt2/resolve/main/config.json";
  head.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                  {"Content-Length", "665"},
                  {"ETag", "\"" + k_blob_sha1 + "\""},
                  {"X-Repo-Commit", k_commit},
                  {"Accept-Ranges", "bytes"}};
  head.content_length = 665;
  return head;
}

// An LFS file: a 302 from the Hub carrying the metadata, then a 200 from the CDN.
upstream::ResponseHead lfs_head() {
  upstream::Hop hop;
  hop.status = 302;
  hop.url = "https://huggingface.co/gpt2/resolve/main/model.safetensors";
  hop.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                 {"Content-Length", "913"},
                 {"Location", "https://cas-bridge.xethub.hf.co/xet-bridge-us/x/y?Signature=z"},
                 {"X-Repo-Commit", k_commit},
                 {"X-Linked-Etag", "\"" + k_sha256 + "\""},
                 {"X-Linked-Size", "548105171"},
                 {"X-Xet-Hash", std::string(64, 'c')},
                 {"ETag", "\"" + std::string(40, 'e') + "\""}};
  upstream::ResponseHead head;
  head.status = 200;
  head.url = "https://cas-bridge.xethub.hf.co/xet-bridge-us/x/y?Signature=z";
  head.redirects = {hop};
  head.headers = {{"Content-Type", "application/octet-stream"},
                  {"Content-Length", "548105171"},
                  {"ETag", "\"cdn-etag-not-the-hubs\""}};
  head.content_length = 548105171;
  return head;
}

TEST(HubFileMeta, RegularFile) {
  const auto meta = hub::file_meta(regular_head());
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->commit, k_commit);
  EXPECT_EQ(meta->etag, k_blob_sha1);
  EXPECT_EQ(meta->size, 665u);
  EXPECT_FALSE(meta->lfs);
}

TEST(HubFileMeta, RegularFileWeakEtag) {
  auto head = regular_head();
  util::set_header(head.headers, "ETag", "W/\"" + k_blob_sha1 + "\"");
  const auto meta = hub::file_meta(head);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->etag, k_blob_sha1);
}

TEST(HubFileMeta, HeaderNamesAnyCase) {
  auto head = regular_head();
  head.headers = {{"etag", "\"" + k_blob_sha1 + "\""}, {"x-repo-commit", k_commit}};
  const auto meta = hub::file_meta(head);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->commit, k_commit);
  EXPECT_EQ(meta->etag, k_blob_sha1);
}

TEST(HubFileMeta, LfsFileFromTheRedirectHop) {
  const auto meta = hub::file_meta(lfs_head());
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->commit, k_commit);
  EXPECT_EQ(meta->etag, k_sha256);  // X-Linked-Etag, not the hop's ETag nor the CDN's
  EXPECT_EQ(meta->size, 548105171u);  // X-Linked-Size, not the 302's Content-Length
  EXPECT_TRUE(meta->lfs);
}

TEST(HubFileMeta, LfsFileAnsweredWithoutRedirect) {
  // A HEAD the Hub answers 200 itself, with the X-Linked-* headers on it.
  upstream::ResponseHead head;
  head.status = 200;
  head.headers = {{"X-Repo-Commit", k_commit},
                  {"X-Linked-Etag", "\"" + k_sha256 + "\""},
                  {"X-Linked-Size", "42"},
                  {"ETag", "\"" + k_sha256 + "\""}};
  const auto meta = hub::file_meta(head);
  ASSERT_TRUE(meta);
  EXPECT_TRUE(meta->lfs);
  EXPECT_EQ(meta->size, 42u);
  EXPECT_EQ(meta->etag, k_sha256);
}

TEST(HubFileMeta, NulloptWithoutCommit) {
  auto head = regular_head();
  util::remove_header(head.headers, "X-Repo-Commit");
  EXPECT_FALSE(hub::file_meta(head));

  auto lfs = lfs_head();
  util::remove_header(lfs.redirects[0].headers, "X-Repo-Commit");
  // The CDN's answer is not the Hub's, even if it carried one.
  lfs.headers.emplace_back("X-Repo-Commit", k_commit);
  EXPECT_FALSE(hub::file_meta(lfs));
}

TEST(HubFileMeta, NulloptWithShortOrUpperCaseCommit) {
  auto head = regular_head();
  util::set_header(head.headers, "X-Repo-Commit", k_commit.substr(0, 7));
  EXPECT_FALSE(hub::file_meta(head));
  util::set_header(head.headers, "X-Repo-Commit", std::string(40, 'A'));
  EXPECT_FALSE(hub::file_meta(head));
}

TEST(HubFileMeta, NulloptWithoutEtagOrSize) {
  auto no_etag = regular_head();
  util::remove_header(no_etag.headers, "ETag");
  EXPECT_FALSE(hub::file_meta(no_etag));

  auto empty_etag = regular_head();
  util::set_header(empty_etag.headers, "ETag", "\"\"");
  EXPECT_FALSE(hub::file_meta(empty_etag));

  // A chunked (e.g. gzip) GET has no length to trust.
  auto no_length = regular_head();
  no_length.content_length.reset();
  EXPECT_FALSE(hub::file_meta(no_length));

  auto no_linked_size = lfs_head();
  util::remove_header(no_linked_size.redirects[0].headers, "X-Linked-Size");
  EXPECT_FALSE(hub::file_meta(no_linked_size));
}

TEST(HubFileMeta, NulloptWithBadLinkedSize) {
  for (const std::string bad : {"", "abc", "12x", "-1", " 12", "99999999999999999999999"}) {
    auto head = lfs_head();
    util::set_header(head.redirects[0].headers, "X-Linked-Size", bad);
    EXPECT_FALSE(hub::file_meta(head)) << "X-Linked-Size: " << bad;
  }
}

// Issue 14: the ETag becomes blobs/<etag> in an export and a header in every answer, so one
// that is not a single token is refused, for regular and LFS files alike.
TEST(HubFileMeta, Issue14NulloptForAnEtagThatIsNotOneToken) {
  for (const std::string& bad : std::vector<std::string>{"../../x", "/etc/passwd", "a/b", "..", ".", "a b",
                                                       "a\r\nX-Injected: 1", std::string(129, 'a'),
                                                       std::string("a\0b", 3)}) {
    auto regular = regular_head();
    util::set_header(regular.headers, "ETag", "\"" + bad + "\"");
    EXPECT_FALSE(hub::file_meta(regular)) << "ETag: " << bad;
    auto lfs = lfs_head();
    util::set_header(lfs.redirects[0].headers, "X-Linked-Etag", "\"" + bad + "\"");
    EXPECT_FALSE(hub::file_meta(lfs)) << "X-Linked-Etag: " << bad;
  }
}

TEST(HubFileMeta, Issue14NulloptForACommitThatIsNotOne) {
  for (const std::string& bad :
       std::vector<std::string>{"../" + k_commit.substr(3), k_commit + "/..", "/" + k_commit.substr(1)}) {
    auto head = regular_head();
    util::set_header(head.headers, "X-Repo-Commit", bad);
    EXPECT_FALSE(hub::file_meta(head)) << "X-Repo-Commit: " << bad;
  }
}

TEST(HubFileMeta, NulloptForErrors) {
  auto not_found = regular_head();
  not_found.status = 404;
  not_found.headers.emplace_back("X-Error-Code", "EntryNotFound");
  EXPECT_FALSE(hub::file_meta(not_found));

  auto partial = regular_head();
  partial.status = 206;
  EXPECT_FALSE(hub::file_meta(partial));

  EXPECT_FALSE(hub::file_meta(upstream::ResponseHead{}));
}

// Renamed repos and repo ids in the wrong case: the Hub first answers a 307 with a relative
// Location and no X-Repo-Commit (huggingface/huggingface_hub#981, hf-protocol.md §1.4); the
// fetcher follows it, and the metadata is on the next hop (LFS) or on the final 200.
TEST(HubFileMeta, RenamedRepoRegularFile) {
  upstream::Hop rename;
  rename.status = 307;
  rename.url = "https://huggingface.co/gpt2/resolve/main/config.json";
  rename.headers = {{"Location", "/openai-community/gpt2/resolve/main/config.json"},
                    {"Content-Length", "86"}};
  auto head = regular_head();
  head.url = "https://huggingface.co/openai-community/gpt2/resolve/main/config.json";
  head.redirects = {rename};
  const auto meta = hub::file_meta(head);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->commit, k_commit);
  EXPECT_EQ(meta->etag, k_blob_sha1);
  EXPECT_EQ(meta->size, 665u);
}

TEST(HubFileMeta, RenamedRepoLfsFile) {
  upstream::Hop rename;
  rename.status = 307;
  rename.url = "https://huggingface.co/gpt2/resolve/main/model.safetensors";
  rename.headers = {{"Location", "/openai-community/gpt2/resolve/main/model.safetensors"}};
  auto head = lfs_head();
  head.redirects.insert(head.redirects.begin(), rename);
  const auto meta = hub::file_meta(head);
  ASSERT_TRUE(meta);
  EXPECT_TRUE(meta->lfs);
  EXPECT_EQ(meta->etag, k_sha256);
  EXPECT_EQ(meta->size, 548105171u);
}

// Issue 15: since 2025 the Hub answers a small file's resolve with a relative 307 to
// /api/resolve-cache/ that names the commit but no ETag (hf-protocol.md §11.1); the 200 it
// leads to carries the body, the ETag and the commit again.
upstream::ResponseHead resolve_cache_head() {
  upstream::Hop hop;
  hop.status = 307;
  hop.url = "https://huggingface.co/gpt2/resolve/main/config.json";
  hop.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                 {"Content-Length", "262"},
                 {"Location", "/api/resolve-cache/models/gpt2/" + k_commit +
                                  "/config.json?%2Fgpt2%2Fresolve%2Fmain%2Fconfig.json=&etag=%22" +
                                  k_blob_sha1 + "%22"},
                 {"X-Repo-Commit", k_commit},
                 {"Accept-Ranges", "bytes"}};
  auto head = regular_head();
  head.url = "https://huggingface.co/api/resolve-cache/models/gpt2/" + k_commit + "/config.json";
  head.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  head.redirects = {hop};
  return head;
}

TEST(HubFileMeta, Issue15ResolveCacheRedirectRegularFile) {
  const auto meta = hub::file_meta(resolve_cache_head());
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->commit, k_commit);
  EXPECT_EQ(meta->etag, k_blob_sha1);  // from the 200: the 307 has none
  EXPECT_EQ(meta->size, 665u);         // the 200's length, not the 307's
  EXPECT_FALSE(meta->lfs);
}

TEST(HubFileMeta, Issue15ResolveCacheRedirectToAnotherCommitIsNotTheHubs) {
  auto head = resolve_cache_head();
  util::set_header(head.headers, "X-Repo-Commit", std::string(40, 'f'));
  EXPECT_FALSE(hub::file_meta(head));
  // Nor an answer that names no commit at all.
  util::remove_header(head.headers, "X-Repo-Commit");
  EXPECT_FALSE(hub::file_meta(head));
}

// --- file_headers -----------------------------------------------------------------------

store::HubObject object(bool lfs) {
  return store::HubObject{{store::RepoType::model, testutil::repo("gpt2"), testutil::commit_id(k_commit),
                           testutil::repo_path(lfs ? "model.safetensors" : "config.json")},
                          util::Sha256{},
                          testutil::etag(lfs ? k_sha256 : k_blob_sha1),
                          lfs ? 548105171u : 665u,
                          lfs};
}

TEST(HubFileHeaders, RegularFile) {
  const auto headers = hub::file_headers(object(false));
  EXPECT_EQ(util::find_header(headers, "ETag"), "\"" + k_blob_sha1 + "\"");
  EXPECT_EQ(util::find_header(headers, "X-Repo-Commit"), k_commit);
  EXPECT_EQ(util::find_header(headers, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_FALSE(util::find_header(headers, "X-Linked-Etag"));
  EXPECT_FALSE(util::find_header(headers, "X-Linked-Size"));
  // Length and ranges are the server's.
  EXPECT_FALSE(util::find_header(headers, "Content-Length"));
}

TEST(HubFileHeaders, LfsFile) {
  const auto headers = hub::file_headers(object(true));
  EXPECT_EQ(util::find_header(headers, "ETag"), "\"" + k_sha256 + "\"");
  EXPECT_EQ(util::find_header(headers, "X-Linked-Etag"), "\"" + k_sha256 + "\"");
  EXPECT_EQ(util::find_header(headers, "X-Linked-Size"), "548105171");
  EXPECT_EQ(util::find_header(headers, "X-Repo-Commit"), k_commit);
  EXPECT_EQ(util::find_header(headers, "Content-Type"), "application/octet-stream");
  for (const auto& [name, value] : headers) {
    EXPECT_FALSE(name.size() >= 6 && util::iequals(name.substr(0, 6), "X-Xet-")) << name;
  }
}

TEST(HubFileHeaders, RoundTripThroughFileMeta) {
  for (const bool lfs : {false, true}) {
    const auto o = object(lfs);
    upstream::ResponseHead head;
    head.status = 200;
    head.headers = hub::file_headers(o);
    head.content_length = o.size;
    const auto meta = hub::file_meta(head);
    ASSERT_TRUE(meta) << "lfs=" << lfs;
    EXPECT_EQ(meta->commit, o.key.commit);
    EXPECT_EQ(meta->etag, o.etag);
    EXPECT_EQ(meta->size, o.size);
    EXPECT_EQ(meta->lfs, o.lfs);
  }
}

} // namespace
