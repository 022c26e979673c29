#include "preload/failure_causes.hpp"

#include <string>

#include <gtest/gtest.h>

namespace {

TEST(FailureCauses, FindsTheNoticeForTheSameFailure) {
  preload::FailureCauses causes;
  causes.note("upstream failed: GET http://a.test/x: cannot fetch http://a.test/x: refused");
  causes.note("upstream failed: GET http://a.test/xy: timed out");
  EXPECT_EQ(causes.find("hubcache: upstream failed: GET http://a.test/x\n"),
            "upstream failed: GET http://a.test/x: cannot fetch http://a.test/x: refused");
  EXPECT_EQ(causes.find("hubcache: upstream failed: GET http://a.test/xy\n"),
            "upstream failed: GET http://a.test/xy: timed out");
}

TEST(FailureCauses, TheLatestNoticeWins) {
  preload::FailureCauses causes;
  causes.note("upstream failed (timed out): GET http://a.test/x: first");
  causes.note("upstream failed (timed out): GET http://a.test/x: second");
  EXPECT_EQ(causes.find("hubcache: upstream failed (timed out): GET http://a.test/x\n"),
            "upstream failed (timed out): GET http://a.test/x: second");
}

TEST(FailureCauses, AnswersNothingForABodyItDidNotMake) {
  preload::FailureCauses causes;
  causes.note("upstream failed: GET http://a.test/x: refused");
  EXPECT_EQ(causes.find("upstream failed: GET http://a.test/x"), "");  // not the engine's
  EXPECT_EQ(causes.find("hubcache: upstream failed: GET http://a.test/"), "");  // a prefix only
  EXPECT_EQ(causes.find("hubcache: \n"), "");
  EXPECT_EQ(causes.find(""), "");
}

TEST(FailureCauses, KeepsOnlyTheLatestNotices) {
  preload::FailureCauses causes;
  causes.note("upstream failed: GET http://a.test/0: refused");
  for (int i = 1; i <= 1000; ++i) causes.note("upstream failed: GET http://a.test/n: " + std::to_string(i));
  EXPECT_EQ(causes.find("hubcache: upstream failed: GET http://a.test/0\n"), "");
  EXPECT_EQ(causes.find("hubcache: upstream failed: GET http://a.test/n\n"),
            "upstream failed: GET http://a.test/n: 1000");
}

} // namespace
