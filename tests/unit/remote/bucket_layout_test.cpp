#include "remote/bucket_layout.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

namespace remote {
namespace {

using testutil::commit_id;
using testutil::repo;
using testutil::repo_path;
using testutil::revision;

const std::string k_commit = "a8c8aa76981432e7ab85e5a6ec502fd14c0addde";

TEST(BucketLayout, KeysFollowTheDocumentedLayout) {
  const auto digest = util::Sha256::of(std::string_view("hello"));
  EXPECT_EQ(blob_key(digest), "blobs/sha256/2c/" + digest.hex());
  EXPECT_EQ(file_key(store::RepoType::model, repo("org/name"), commit_id(k_commit), repo_path("onnx/model.onnx")),
            "meta/files/models--org--name/" + k_commit + "/onnx/model.onnx");
  EXPECT_EQ(ref_key(store::RepoType::dataset, repo("squad"), revision("refs/pr/3")),
            "refs/datasets--squad/refs/pr/3");
  EXPECT_EQ(exchange_object_key("GET https://x/y").substr(0, 15), "meta/exchanges/");
}

TEST(BucketLayout, CredentialScopesDoNotReachTheBucket) {
  EXPECT_EQ(public_exchange_key("GET https://x/y credential=abc"), "GET https://x/y");
  EXPECT_EQ(public_exchange_key("POST https://x/y credential=abc body=sha256:ff"),
            "POST https://x/y body=sha256:ff");
  EXPECT_EQ(exchange_object_key("GET https://x/y credential=abc"), exchange_object_key("GET https://x/y"));
}

TEST(BucketLayout, RefKeysParseBack) {
  auto ref = parse_ref_key(ref_key(store::RepoType::model, repo("org/name"), revision("refs/pr/3")));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->type, store::RepoType::model);
  EXPECT_EQ(ref->repo_id, "org/name");
  EXPECT_EQ(ref->name, "refs/pr/3");
  auto legacy = parse_ref_key("refs/models--gpt2/main");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->repo_id, "gpt2");
  EXPECT_FALSE(parse_ref_key("refs/nonsense/main"));
  EXPECT_FALSE(parse_ref_key("meta/x"));
  EXPECT_FALSE(parse_ref_key("refs/models--a--b--c/main"));
}

// Issue 14: a bucket is someone else's writing; keys and rows that do not validate name
// nothing (no ref named "../x", no etag that would be a file outside blobs/).
TEST(BucketLayout, Issue14HostileKeysAndRowsAreRefused) {
  EXPECT_FALSE(parse_ref_key("refs/models--org--name/../../x"));
  EXPECT_FALSE(parse_ref_key("refs/models--org--name/a\nb"));
  EXPECT_FALSE(parse_ref_key("refs/models--..--x/main"));
  const store::HubObjectKey key{store::RepoType::model, repo("o/n"), commit_id(k_commit), repo_path("x"), {}};
  const auto blob = util::Sha256::of(std::string_view("w")).hex();
  for (const char* etag : {"../../x", "/abs", "a/b", ""}) {
    const auto row = R"({"blob":")" + blob + R"(","etag":")" + etag + R"(","size":1,"lfs":false})";
    EXPECT_EQ(decode_file(row, key).error().code, util::Errc::corrupt) << etag;
  }
  EXPECT_FALSE(decode_ref(R"({"commit":"../../../../etc"})", store::RepoType::model, repo("o/n"),
                          revision("main")));
}

TEST(BucketLayout, RowsRoundTrip) {
  const auto digest = util::Sha256::of(std::string_view("w"));
  const store::HubObject object{{store::RepoType::model, repo("org/name"), commit_id(k_commit), repo_path("w.bin"), "scope"},
                                digest,
                                testutil::etag(digest.hex()),
                                1,
                                true};
  auto file = decode_file(encode_file(object), object.key);
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->blob, object.blob);
  EXPECT_EQ(file->etag, object.etag);
  EXPECT_TRUE(file->lfs);
  EXPECT_EQ(file->key.credential, "scope");

  store::Exchange exchange;
  exchange.key = "GET https://x/y credential=abc";
  exchange.method = "GET";
  exchange.url = "https://x/y";
  exchange.status = 404;
  exchange.headers = {{"X-Error-Code", "EntryNotFound"}, {"X-Error-Code", "twice"}};
  auto back = decode_exchange(encode_exchange(exchange));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->key, "GET https://x/y");
  EXPECT_EQ(back->status, 404);
  EXPECT_EQ(back->headers, exchange.headers);
  EXPECT_FALSE(back->blob);

  auto ref = decode_ref(encode_ref({store::RepoType::model, repo("org/name"), revision("main"), commit_id(k_commit), 5, {}}),
                        store::RepoType::model, repo("org/name"), revision("main"));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->commit, k_commit);
}

TEST(BucketLayout, MalformedRowsAreCorrupt) {
  const store::HubObjectKey key{store::RepoType::model, repo("o/n"), commit_id(k_commit), repo_path("x"), {}};
  EXPECT_EQ(decode_file("{", key).error().code, util::Errc::corrupt);
  EXPECT_EQ(decode_file(R"({"blob":"zz","etag":"e","size":1,"lfs":false})", key).error().code, util::Errc::corrupt);
  EXPECT_FALSE(decode_exchange(R"({"key":1})"));
  EXPECT_FALSE(decode_ref(R"({"commit":"main"})", store::RepoType::model, repo("o/n"), revision("main")));
}

// Issue 14 (found by tests/fuzz/bucket_row_fuzz.cpp under UBSan): a number that is not an
// integer of the field's range was converted with undefined behaviour (1e300 into an int).
// Such a row is corrupt, like any other malformed row.
TEST(BucketLayout, Issue14NumbersOutOfRangeAreCorrupt) {
  const store::HubObjectKey key{store::RepoType::model, repo("o/n"), commit_id(k_commit), repo_path("x"), {}};
  const std::string blob = util::Sha256::of(std::string_view("w")).hex();
  for (const std::string size : {"1.5", "-1", "1e300", "-1e300", "18446744073709551616"}) {
    const auto file = decode_file(R"({"blob":")" + blob + R"(","etag":"e","size":)" + size + R"(,"lfs":false})", key);
    ASSERT_FALSE(file) << size;
    EXPECT_EQ(file.error().code, util::Errc::corrupt);
    const auto exchange = decode_exchange(
        R"({"key":"k","method":"GET","url":"https://x/y","status":200,"headers":[],"size":)" + size + "}");
    ASSERT_FALSE(exchange) << size;
    EXPECT_EQ(exchange.error().code, util::Errc::corrupt);
  }
  for (const std::string status : {"1e300", "404.5", "-1e300", "2147483648"}) {
    const auto exchange = decode_exchange(
        R"({"key":"k","method":"GET","url":"https://x/y","status":)" + status + R"(,"headers":[],"size":0})");
    ASSERT_FALSE(exchange) << status;
    EXPECT_EQ(exchange.error().code, util::Errc::corrupt);
  }
  for (const std::string learned_at : {"1e300", "-1e300", "0.5", "9223372036854775808"}) {
    const auto ref = decode_ref(R"({"commit":")" + k_commit + R"(","learned_at":)" + learned_at + "}",
                                store::RepoType::model, repo("o/n"), revision("main"));
    ASSERT_FALSE(ref) << learned_at;
    EXPECT_EQ(ref.error().code, util::Errc::corrupt);
  }
  // Integers in range still decode.
  EXPECT_EQ(decode_exchange(R"({"key":"k","method":"GET","url":"u","status":404,"headers":[],"size":0})")->status, 404);
  EXPECT_EQ(decode_ref(R"({"commit":")" + k_commit + R"(","learned_at":-5})", store::RepoType::model,
                       repo("o/n"), revision("main"))->learned_at, -5);
}

} // namespace
} // namespace remote
