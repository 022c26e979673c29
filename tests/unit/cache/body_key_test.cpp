#include "cache/body_key.hpp"

#include "util/sha256.hpp"

#include <gtest/gtest.h>

namespace {

const util::Headers k_lfs = {{"Content-Type", "application/vnd.git-lfs+json; charset=utf-8"}};

std::string digest_of(std::string_view body) {
  return " body=sha256:" + util::Sha256::of(body).hex();
}

TEST(BodyKey, AnyOtherBodyIsKeyedAsSent) {
  const std::string body = R"({"b":1,"a":2})";
  EXPECT_EQ(cache::body_key({{"Content-Type", "application/json"}}, body), digest_of(body));
  EXPECT_EQ(cache::body_key({}, "0009done\n"), digest_of("0009done\n"));
  EXPECT_NE(cache::body_key({}, "a"), cache::body_key({}, "b"));
}

// Issue 15: git-lfs lists its transfer adapters in Go's map order, different on each run, and
// objects of equal size in any order: a fresh clone must find the batch answer recorded.
TEST(BodyKey, AGitLfsBatchRequestIsKeyedWhateverOrderItsSetsComeIn) {
  const auto one = cache::body_key(
      k_lfs, R"({"operation":"download","objects":[{"oid":"aa","size":3},{"oid":"bb","size":3}],)"
             R"("transfers":["basic","ssh","lfs-standalone-file"],"ref":{"name":"refs/heads/main"},)"
             R"("hash_algo":"sha256"})");
  const auto two = cache::body_key(
      k_lfs, R"({"operation":"download","objects":[{"size":3,"oid":"bb"},{"oid":"aa","size":3}],)"
             R"("transfers":["lfs-standalone-file","basic","ssh"],"ref":{"name":"refs/heads/main"},)"
             R"("hash_algo":"sha256"})");
  EXPECT_EQ(one, two);
}

TEST(BodyKey, AGitLfsBatchRequestForOtherObjectsOrAnotherRefIsAnotherKey) {
  const auto base = cache::body_key(
      k_lfs, R"({"operation":"download","objects":[{"oid":"aa","size":3}],"ref":{"name":"main"}})");
  EXPECT_NE(base, cache::body_key(k_lfs, R"({"operation":"download","objects":[{"oid":"ab",)"
                                         R"("size":3}],"ref":{"name":"main"}})"));
  EXPECT_NE(base, cache::body_key(k_lfs, R"({"operation":"download","objects":[{"oid":"aa",)"
                                         R"("size":3}],"ref":{"name":"dev"}})"));
  EXPECT_NE(base, cache::body_key(k_lfs, R"({"operation":"upload","objects":[{"oid":"aa",)"
                                         R"("size":3}],"ref":{"name":"main"}})"));
}

TEST(BodyKey, ABatchBodyThatIsNotJsonOrNestsTooDeepIsKeyedAsSent) {
  EXPECT_EQ(cache::body_key(k_lfs, "not json"), digest_of("not json"));
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  EXPECT_EQ(cache::body_key(k_lfs, deep), digest_of(deep));
  // Brackets inside strings are not nesting.
  const std::string strings = R"({"transfers":["basic","[[[[[[[[[[[[[[[[[[[["]})";
  EXPECT_NE(cache::body_key(k_lfs, strings), digest_of(strings));
  const std::string escaped = R"({"transfers":["basic","\"[[[[[[[[[[[[[[[[[[[["]})";
  EXPECT_NE(cache::body_key(k_lfs, escaped), digest_of(escaped));
}

} // namespace
