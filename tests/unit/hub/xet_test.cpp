#include "hub/xet.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

// The 302 of an Xet-backed LFS file (hf-protocol.md §1.4).
util::Headers lfs_redirect_headers() {
  return {
      {"Content-Type", "text/plain; charset=utf-8"},
      {"Location", "https://cas-bridge.xethub.hf.co/xet-bridge-us/abc/def?Signature=x"},
      {"X-Repo-Commit", std::string(40, 'a')},
      {"X-Linked-Etag", "\"" + std::string(64, 'b') + "\""},
      {"X-Linked-Size", "548105171"},
      {"X-Xet-Hash", std::string(64, 'c')},
      {"x-xet-refresh-route", "/api/models/org/name/xet-read-token/" + std::string(40, 'a')},
      {"X-Xet-Cas-Url", "https://cas-server.xethub.hf.co"},
      {"Link", "<https://huggingface.co/api/models/org/name/xet-read-token/" + std::string(40, 'a') +
                   ">; rel=\"xet-auth\", <https://cas-server.xethub.hf.co/v1/reconstructions/" +
                   std::string(64, 'c') + ">; rel=\"xet-reconstruction-info\""},
  };
}

TEST(HubXetStrip, RemovesXetHeadersAndKeepsTheRest) {
  const auto out = hub::strip_xet(lfs_redirect_headers());
  EXPECT_FALSE(util::find_header(out, "X-Xet-Hash"));
  EXPECT_FALSE(util::find_header(out, "X-Xet-Refresh-Route"));
  EXPECT_FALSE(util::find_header(out, "X-Xet-Cas-Url"));
  // A Link of Xet entries only disappears altogether.
  EXPECT_FALSE(util::find_header(out, "Link"));
  EXPECT_EQ(util::find_header(out, "X-Repo-Commit"), std::string(40, 'a'));
  EXPECT_EQ(util::find_header(out, "X-Linked-Etag"), "\"" + std::string(64, 'b') + "\"");
  EXPECT_EQ(util::find_header(out, "X-Linked-Size"), "548105171");
  EXPECT_EQ(util::find_header(out, "Location"),
            "https://cas-bridge.xethub.hf.co/xet-bridge-us/abc/def?Signature=x");
  ASSERT_EQ(out.size(), 5u);
  // Order is kept.
  EXPECT_EQ(out[0].first, "Content-Type");
  EXPECT_EQ(out[4].first, "X-Linked-Size");
}

TEST(HubXetStrip, KeepsOtherLinkEntries) {
  const util::Headers in = {
      {"link", "<https://huggingface.co/api/models?cursor=a,b>; rel=\"next\", "
               "<https://huggingface.co/x>; rel=\"xet-auth\", <https://hf.co/p>; rel=\"prev\", "
               "<https://cas/r>; rel=xet-reconstruction-info"}};
  const auto out = hub::strip_xet(in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, "link");
  EXPECT_EQ(out[0].second,
            "<https://huggingface.co/api/models?cursor=a,b>; rel=\"next\", <https://hf.co/p>; rel=\"prev\"");
}

TEST(HubXetStrip, LeavesHeadersWithoutXetUntouched) {
  const util::Headers in = {{"ETag", "\"e\""},
                            {"Link", "<https://huggingface.co/api/models?p=2>; rel=\"next\""},
                            {"X-Xe", "short"},
                            {"X-Repo-Commit", "c"}};
  EXPECT_EQ(hub::strip_xet(in), in);
}

TEST(HubXetJson, RemovesXetHashAtAnyDepth) {
  const std::string tree = R"([
    {"type":"file","oid":"1","size":3,"path":"a.txt"},
    {"type":"file","oid":"2","size":9,"path":"model.safetensors",
     "lfs":{"oid":"s","size":9,"pointerSize":134},"xetHash":"h1"},
    {"type":"directory","oid":"3","size":0,"path":"d","nested":{"deeper":[{"xetHash":"h2","k":1}]}}
  ])";
  const auto out = hub::strip_xet_json(tree);
  EXPECT_EQ(out.find("xetHash"), std::string::npos);
  const auto parsed = json::parse(out);
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_FALSE(parsed[1].contains("xetHash"));
  EXPECT_EQ(parsed[1]["lfs"]["oid"], "s");
  EXPECT_EQ(parsed[1]["lfs"]["pointerSize"], 134);
  EXPECT_EQ(parsed[1]["path"], "model.safetensors");
  EXPECT_EQ(parsed[2]["nested"]["deeper"][0], json({{"k", 1}}));
  EXPECT_EQ(parsed[0], json::parse(R"({"type":"file","oid":"1","size":3,"path":"a.txt"})"));
}

TEST(HubXetJson, ObjectRoot) {
  const auto out = hub::strip_xet_json(R"({"xetHash":"x","siblings":[{"rfilename":"a","xetHash":"y"}]})");
  EXPECT_EQ(json::parse(out), json::parse(R"({"siblings":[{"rfilename":"a"}]})"));
}

TEST(HubXetJson, KeepsTextThatIsNotJson) {
  const std::string text = "<html>xetHash: not json</html>";
  EXPECT_EQ(hub::strip_xet_json(text), text);
  const std::string truncated = R"([{"path":"a","xetHash":"h")";
  EXPECT_EQ(hub::strip_xet_json(truncated), truncated);
}

TEST(HubXetJson, JsonWithoutXetHashIsByteIdentical) {
  const std::string body = "[ {\"path\" : \"a\"} ]\n";
  EXPECT_EQ(hub::strip_xet_json(body), body);
  EXPECT_EQ(hub::strip_xet_json(""), "");
}

TEST(HubXetJson, KeepsXetHashAsAValue) {
  const auto out = hub::strip_xet_json(R"({"path":"xetHash"})");
  EXPECT_EQ(json::parse(out), json::parse(R"({"path":"xetHash"})"));
}

// Issue 14 (found with tests/fuzz/link_fuzz.cpp under ASan): an answer nested a million
// levels deep, with an "xetHash" in it, overflowed the stack (the strip and the dump both
// recurse) and killed `serve`, live or from a recording. Past a depth no Hub answer has, the
// body is passed on as it is, like text that is not JSON.
TEST(HubXetJson, Issue14DeepNestingIsKeptAsItIs) {
  const std::size_t depth = 1'000'000;
  const std::string body = R"({"xetHash":"h","a":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  EXPECT_EQ(hub::strip_xet_json(body), body);
  // A real depth is still stripped.
  const std::string nested = R"({"xetHash":"h","a":)" + std::string(64, '[') + std::string(64, ']') + "}";
  EXPECT_EQ(hub::strip_xet_json(nested), R"({"a":)" + std::string(64, '[') + std::string(64, ']') + "}");
}

TEST(HubXetOrigin, RewritesLinkAndLocation) {
  const util::Headers in = {
      {"Link", "<https://huggingface.co/api/datasets/org/P3/tree/main?recursive=1&cursor=abc>; rel=\"next\""},
      {"Location", "https://huggingface.co/org/name/resolve/main/x"},
      {"ETag", "\"https://huggingface.co\""}};
  const auto out = hub::rewrite_origin(in, "https://huggingface.co", "http://127.0.0.1:8080");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].second,
            "<http://127.0.0.1:8080/api/datasets/org/P3/tree/main?recursive=1&cursor=abc>; rel=\"next\"");
  EXPECT_EQ(out[1].second, "http://127.0.0.1:8080/org/name/resolve/main/x");
  EXPECT_EQ(out[2].second, "\"https://huggingface.co\"");
}

TEST(HubXetOrigin, RewritesEveryLinkEntryCaseInsensitiveName) {
  const util::Headers in = {
      {"link", "<https://huggingface.co/a>; rel=\"next\", <https://huggingface.co/b>; rel=\"prev\""}};
  const auto out = hub::rewrite_origin(in, "https://huggingface.co", "http://hc");
  EXPECT_EQ(out[0].second, "<http://hc/a>; rel=\"next\", <http://hc/b>; rel=\"prev\"");
}

TEST(HubXetOrigin, LeavesOtherHostsAndRelativeLocations) {
  const util::Headers cdn = {{"Location", "https://cdn-lfs.hf.co/repos/x?sig=https://huggingface.co"}};
  EXPECT_EQ(hub::rewrite_origin(cdn, "https://huggingface.co", "http://hc"), cdn);
  const util::Headers relative = {{"location", "/org/name/resolve/main/x"}};
  EXPECT_EQ(hub::rewrite_origin(relative, "https://huggingface.co", "http://hc"), relative);
  const util::Headers other_link = {{"Link", "<https://example.com/a>; rel=\"next\""}};
  EXPECT_EQ(hub::rewrite_origin(other_link, "https://huggingface.co", "http://hc"), other_link);
}

TEST(HubXetOrigin, OwnOriginContainingUpstreamDoesNotLoop) {
  const util::Headers in = {{"Link", "<https://hf.co/a>; rel=\"next\", <https://hf.co/b>; rel=\"prev\""}};
  const auto out = hub::rewrite_origin(in, "https://hf.co", "https://hf.co/mirror");
  EXPECT_EQ(out[0].second, "<https://hf.co/mirror/a>; rel=\"next\", <https://hf.co/mirror/b>; rel=\"prev\"");
}

} // namespace
