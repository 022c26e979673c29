#include "remote/aws_credentials.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <vector>

namespace remote {
namespace {

TEST(AwsCredentials, EnvironmentFirst) {
  auto c = load_aws_credentials({{"AWS_ACCESS_KEY_ID", "AK"}, {"AWS_SECRET_ACCESS_KEY", "SK"},
                                 {"AWS_SESSION_TOKEN", "TOK"}, {"AWS_REGION", "eu-west-3"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->access_key, "AK");
  EXPECT_EQ(c->secret_key, "SK");
  EXPECT_EQ(c->session_token, "TOK");
  EXPECT_EQ(c->region, "eu-west-3");
  EXPECT_EQ(c->source, "environment");
}

TEST(AwsCredentials, AKeyOrTokenThatWouldBreakAHeaderLineIsRefusedWithoutItsValue) {
  for (const std::string& token : std::vector<std::string>{"TOK\r\nX-Evil: 1", "TOK EN", std::string("TOK\0", 4), "T\x7f"}) {
    auto c = load_aws_credentials({{"AWS_ACCESS_KEY_ID", "AK"}, {"AWS_SECRET_ACCESS_KEY", "SK"},
                                   {"AWS_SESSION_TOKEN", token}});
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, util::Errc::invalid_argument);
    EXPECT_NE(c.error().message.find("environment"), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find("TOK"), std::string::npos) << c.error().message;
  }
  auto secret = load_aws_credentials({{"AWS_ACCESS_KEY_ID", "AK"}, {"AWS_SECRET_ACCESS_KEY", "S\nK"}});
  EXPECT_FALSE(secret);
}

TEST(AwsCredentials, KeyWithoutSecretIsAnError) {
  auto c = load_aws_credentials({{"AWS_ACCESS_KEY_ID", "AK"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST(AwsCredentials, ProfileFromSharedFiles) {
  testutil::TempDir dir;
  std::ofstream(dir.path() / "credentials")
      << "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n[ci]\n"
         "aws_access_key_id=CI\naws_secret_access_key=CIS\n";
  std::ofstream(dir.path() / "config") << "[profile ci]\nregion = ap-south-1\n";
  const std::map<std::string, std::string> env = {
      {"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string()},
      {"AWS_CONFIG_FILE", (dir.path() / "config").string()}, {"AWS_PROFILE", "ci"}};
  auto c = load_aws_credentials(env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->access_key, "CI");
  EXPECT_EQ(c->secret_key, "CIS");
  EXPECT_EQ(c->region, "ap-south-1");
  EXPECT_EQ(c->source, "profile ci");

  auto missing = env;
  missing["AWS_PROFILE"] = "nope";
  EXPECT_FALSE(load_aws_credentials(missing));

  auto fallback = env;
  fallback.erase("AWS_PROFILE");
  auto d = load_aws_credentials(fallback);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->access_key, "D");
  EXPECT_EQ(d->region, "us-east-1");
}

TEST(AwsCredentials, NoneIsAnonymous) {
  auto c = load_aws_credentials({{"HOME", "/nonexistent"}});
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->anonymous());
}

} // namespace
} // namespace remote
