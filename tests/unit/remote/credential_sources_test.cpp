#include "remote/credential_chain.hpp"
#include "remote/credential_sources.hpp"
#include "testutil.hpp"

#include <deque>
#include <fstream>

#include <gtest/gtest.h>

namespace remote {
namespace {

// A scripted network: answers by "METHOD URL", in order per key; anything unscripted fails
// to connect. Records every request.
struct FakeNetwork {
  struct Answer {
    int status = 0; // 0: connection refused
    std::string body;
  };
  std::map<std::string, std::deque<Answer>> answers;
  std::vector<upstream::HttpRequest> sent;
  std::vector<std::string> bodies; // the request bodies (HttpRequest's is a view)

  void on(const std::string& method, const std::string& url, int status, std::string body = {}) {
    answers[method + " " + url].push_back({status, std::move(body)});
  }

  CredentialHttp http() {
    CredentialHttp out;
    out.transferer =
        [this](const upstream::HttpOptions&, const upstream::HttpRequest& request,
               upstream::TransferHooks& hooks) -> util::Result<upstream::TransferOutcome> {
      sent.push_back(request);
      bodies.emplace_back(request.body);
      upstream::TransferOutcome outcome;
      auto& queue = answers[request.method + " " + request.url];
      if (queue.empty() || queue.front().status == 0) {
        if (!queue.empty()) queue.pop_front();
        outcome.error = outcome.detail = "Couldn't connect to server";
        return outcome;
      }
      const auto answer = queue.front();
      queue.pop_front();
      hooks.on_status_line(answer.status);
      hooks.on_body(
          {reinterpret_cast<const std::uint8_t*>(answer.body.data()), answer.body.size()});
      outcome.complete = true;
      outcome.status = answer.status;
      return outcome;
    };
    return out;
  }
};

std::string header(const upstream::HttpRequest& request, const std::string& name) {
  for (const auto& [n, v] : request.headers) {
    if (n == name) return v;
  }
  return "<none>";
}

const char* k_sts_answer =
    R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <SessionToken>FwoG+tok/en==</SessionToken>
      <SecretAccessKey>wJalr&amp;secret</SecretAccessKey>
      <Expiration>2026-12-01T07:00:00Z</Expiration>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";

TEST(ParseIso8601, ReadsTheFormsTheServicesSend) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:10Z"), 10'000);
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:10.250Z"), 10'250);
  EXPECT_EQ(parse_iso8601("1970-01-01T01:00:10+01:00"), 10'000);
  EXPECT_EQ(parse_iso8601("2026-12-01T07:00:00Z"), 1'796'108'400'000);
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_FALSE(parse_iso8601("2026-12-01T07:00:00"));
}

TEST(ParseStsCredentials, ReadsKeysTokenAndExpiration) {
  auto c = parse_sts_credentials(k_sts_answer);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->access_key, "ASIAEXAMPLE");
  EXPECT_EQ(c->secret_key, "wJalr&secret");
  EXPECT_EQ(c->session_token, "FwoG+tok/en==");
  EXPECT_EQ(c->expiration, parse_iso8601("2026-12-01T07:00:00Z"));
  EXPECT_FALSE(parse_sts_credentials(
      "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>"));
}

TEST(ParseJsonCredentials, ReadsContainerAndImdsAnswers) {
  auto c = parse_json_credentials(
      R"({"AccessKeyId":"AK","SecretAccessKey":"SK","Token":"TOK","Expiration":"2026-12-01T07:00:00Z"})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session_token, "TOK");
  auto process = parse_json_credentials(
      R"({"Version":1,"AccessKeyId":"AK","SecretAccessKey":"SK","SessionToken":"ST"})");
  ASSERT_TRUE(process);
  EXPECT_EQ(process->session_token, "ST");
  EXPECT_FALSE(process->expiration);
  EXPECT_FALSE(
      parse_json_credentials(R"({"Code":"Failed","AccessKeyId":"AK","SecretAccessKey":"SK"})"));
  EXPECT_FALSE(parse_json_credentials(R"({"AccessKeyId":"AK"})"));
  EXPECT_FALSE(parse_json_credentials("not json"));
}

TEST(WebIdentityCredentials, PostsAnUnsignedFormAndReReadsTheTokenFile) {
  testutil::TempDir dir;
  const auto token_file = (dir.path() / "token").string();
  std::ofstream(token_file) << "eyJ.first.token\n";
  const Environment env = {{"AWS_ROLE_ARN", "arn:aws:iam::123:role/ci-reader"},
                           {"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                           {"AWS_ROLE_SESSION_NAME", "node-7"},
                           {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000"}};
  FakeNetwork net;
  net.on("POST", "http://127.0.0.1:5000/", 200, k_sts_answer);
  net.on("POST", "http://127.0.0.1:5000/", 200, k_sts_answer);
  auto c = web_identity_credentials(env, net.http());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->source, "web identity role arn:aws:iam::123:role/ci-reader");
  EXPECT_EQ(c->access_key, "ASIAEXAMPLE");
  ASSERT_EQ(net.sent.size(), 1u);
  EXPECT_FALSE(net.sent[0].aws_sigv4);
  EXPECT_EQ(header(net.sent[0], "Authorization"), "<none>");
  EXPECT_EQ(net.bodies[0],
            "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123%3Arole%2Fci-reader"
            "&RoleSessionName=node-7&Version=2011-06-15&WebIdentityToken=eyJ.first.token");

  std::ofstream(token_file) << "eyJ.second.token"; // the kubelet rotated it
  ASSERT_TRUE(web_identity_credentials(env, net.http()));
  EXPECT_NE(net.bodies[1].find("WebIdentityToken=eyJ.second.token"), std::string::npos);
}

TEST(WebIdentityCredentials, NamesStsRefusalsWithoutTheToken) {
  testutil::TempDir dir;
  std::ofstream(dir.path() / "token") << "SECRET-TOKEN";
  const Environment env = {{"AWS_ROLE_ARN", "arn:aws:iam::123:role/x"},
                           {"AWS_WEB_IDENTITY_TOKEN_FILE", (dir.path() / "token").string()},
                           {"AWS_ENDPOINT_URL", "http://127.0.0.1:5000"}};
  FakeNetwork net;
  net.on("POST", "http://127.0.0.1:5000/", 400,
         "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
         "<Message>expired</Message></Error></ErrorResponse>");
  auto c = web_identity_credentials(env, net.http());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, util::Errc::upstream_status);
  EXPECT_EQ(
      c.error().message,
      "STS AssumeRoleWithWebIdentity at http://127.0.0.1:5000: 400 InvalidIdentityToken: expired");
  // A generated session name when none is given.
  EXPECT_NE(net.bodies[0].find("RoleSessionName=hubcache-"), std::string::npos);
}

TEST(ContainerCredentials, AllowsTheSdksHostsOnly) {
  EXPECT_EQ(
      *container_credentials_url({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds/abc"}})
           .value(),
      "http://169.254.170.2/v2/creds/abc");
  for (const char* ok : {"http://127.0.0.1:8080/creds", "http://169.254.170.23/v1/credentials",
                         "https://creds.example.com/x", "http://localhost/x", "http://[::1]:9/x"}) {
    EXPECT_TRUE(container_credentials_url({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", ok}})) << ok;
  }
  for (const char* bad :
       {"http://10.0.0.1/creds", "http://example.com/creds", "ftp://127.0.0.1/x"}) {
    auto url = container_credentials_url({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", bad}});
    EXPECT_FALSE(url) << bad;
  }
  EXPECT_FALSE(container_credentials_url({}).value());
}

TEST(ContainerCredentials, SendsTheTokenFromItsFileReadEachTime) {
  testutil::TempDir dir;
  const auto token_file = (dir.path() / "token").string();
  std::ofstream(token_file) << "pod-token-1\n";
  const Environment env = {
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"},
      {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file},
      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-a-file-is-given"}};
  FakeNetwork net;
  const std::string answer =
      R"({"AccessKeyId":"AK","SecretAccessKey":"SK","Token":"T","Expiration":"2026-12-01T07:00:00Z"})";
  net.on("GET", "http://169.254.170.23/v1/credentials", 200, answer);
  net.on("GET", "http://169.254.170.23/v1/credentials", 200, answer);
  auto c = container_credentials(env, net.http());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->source, "container credentials");
  EXPECT_EQ(header(net.sent[0], "Authorization"), "pod-token-1");
  std::ofstream(token_file) << "pod-token-2";
  ASSERT_TRUE(container_credentials(env, net.http()));
  EXPECT_EQ(header(net.sent[1], "Authorization"), "pod-token-2");

  std::ofstream(token_file) << "a\r\nX-Injected: 1";
  EXPECT_FALSE(container_credentials(env, net.http()));
}

TEST(InstanceProfileCredentials, TokenThenRoleThenKeys) {
  const Environment env = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/"}};
  FakeNetwork net;
  net.on("PUT", "http://127.0.0.1:1338/latest/api/token", 200, "IMDS-TOKEN");
  net.on("GET", "http://127.0.0.1:1338/latest/meta-data/iam/security-credentials/", 200,
         "node-role\n");
  net.on(
      "GET", "http://127.0.0.1:1338/latest/meta-data/iam/security-credentials/node-role", 200,
      R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIA1","SecretAccessKey":"S1","Token":"T1",)"
      R"("Expiration":"2026-12-01T07:00:00Z"})");
  auto c = instance_profile_credentials(env, net.http());
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(*c);
  EXPECT_EQ((*c)->source, "instance profile node-role");
  EXPECT_EQ((*c)->access_key, "ASIA1");
  ASSERT_EQ(net.sent.size(), 3u);
  EXPECT_EQ(header(net.sent[0], "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(header(net.sent[1], "X-aws-ec2-metadata-token"), "IMDS-TOKEN");
  EXPECT_EQ(header(net.sent[2], "X-aws-ec2-metadata-token"), "IMDS-TOKEN");
}

TEST(InstanceProfileCredentials, RetriesOnceThenNoneWhenNothingAnswers) {
  FakeNetwork net; // nothing scripted: every connection fails
  auto c = instance_profile_credentials(
      {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}}, net.http());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(*c);
  EXPECT_EQ(net.sent.size(), 2u); // one retry, as the SDKs
}

TEST(InstanceProfileCredentials, NoRoleIsNone) {
  FakeNetwork net;
  net.on("PUT", "http://169.254.169.254/latest/api/token", 200, "T");
  net.on("GET", "http://169.254.169.254/latest/meta-data/iam/security-credentials/", 404);
  auto c = instance_profile_credentials({}, net.http());
  ASSERT_TRUE(c);
  EXPECT_FALSE(*c);
}

TEST(ProcessCredentials, RunsTheCommandAndNeverQuotesItsOutput) {
  auto c = process_credentials(
      R"(printf '{"Version":1,"AccessKeyId":"AKP","SecretAccessKey":"SKP","SessionToken":"STP"}')",
      "profile ci");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->access_key, "AKP");
  EXPECT_EQ(c->source, "profile ci (credential_process)");
  auto failed = process_credentials("echo SECRETSTUFF; exit 3", "profile ci");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message.find("SECRETSTUFF"), std::string::npos);
  EXPECT_NE(failed.error().message.find("exit status 3"), std::string::npos);
}

// The chain's order, each source found with the ones after it also configured.
TEST(CredentialChain, WalksTheSdksOrder) {
  testutil::TempDir dir;
  const auto token_file = (dir.path() / "token").string();
  std::ofstream(token_file) << "jwt";
  std::ofstream(dir.path() / "credentials")
      << "[default]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = PS\n";
  FakeNetwork net;
  net.on("POST", "http://127.0.0.1:5000/", 200, k_sts_answer);
  net.on(
      "GET", "http://127.0.0.1:7000/creds", 200,
      R"({"AccessKeyId":"CONTAINERKEY","SecretAccessKey":"S","Token":"T","Expiration":"2099-01-01T00:00:00Z"})");
  net.on("PUT", "http://127.0.0.1:8000/latest/api/token", 200, "T");
  net.on("GET", "http://127.0.0.1:8000/latest/meta-data/iam/security-credentials/", 200, "r");
  net.on(
      "GET", "http://127.0.0.1:8000/latest/meta-data/iam/security-credentials/r", 200,
      R"({"AccessKeyId":"IMDSKEY","SecretAccessKey":"S","Token":"T","Expiration":"2099-01-01T00:00:00Z"})");
  testutil::ManualClock clock(1'700'000'000'000);
  Environment env = {{"AWS_ACCESS_KEY_ID", "ENVKEY"},
                     {"AWS_SECRET_ACCESS_KEY", "ES"},
                     {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                     {"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                     {"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000"},
                     {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:7000/creds"},
                     {"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string()},
                     {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:8000"}};
  const auto key_of = [&](const Environment& e) {
    auto provider = credential_chain(e, net.http(), clock);
    if (!provider) return "error: " + provider.error().message;
    auto c = (*provider)->current();
    return c ? (c->anonymous() ? std::string("anonymous") : c->access_key)
             : "error: " + c.error().message;
  };
  EXPECT_EQ(key_of(env), "ENVKEY");
  env.erase("AWS_ACCESS_KEY_ID");
  env.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(key_of(env), "ASIAEXAMPLE");
  env.erase("AWS_ROLE_ARN");
  env.erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  EXPECT_EQ(key_of(env), "CONTAINERKEY");
  env.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  EXPECT_EQ(key_of(env), "PROFILEKEY");
  env.erase("AWS_SHARED_CREDENTIALS_FILE");
  env["HOME"] = dir.path() / "nowhere";
  auto disabled = env;
  disabled["AWS_EC2_METADATA_DISABLED"] = "true";
  EXPECT_EQ(key_of(disabled), "anonymous");
  EXPECT_EQ(net.sent.size(), 2u); // STS and the container endpoint; the metadata service not yet
  EXPECT_EQ(key_of(env), "IMDSKEY");
  EXPECT_EQ(key_of(env), "anonymous"); // its answers are used up: nothing answers any more
}

TEST(CredentialChain, RefusesHalfConfiguredSources) {
  auto half = credential_chain(
      {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"}, {"AWS_EC2_METADATA_DISABLED", "true"}});
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().message.find("AWS_ROLE_ARN"), std::string::npos);
  EXPECT_FALSE(
      credential_chain({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.1/creds"}}));
  EXPECT_FALSE(credential_chain({{"AWS_ACCESS_KEY_ID", "AK"}}));
}

TEST(CredentialChain, ProfileCredentialProcessIsRenewable) {
  testutil::TempDir dir;
  std::ofstream(dir.path() / "config")
      << "[profile ci]\ncredential_process = printf "
         "'{\"Version\":1,\"AccessKeyId\":\"AKP\",\"SecretAccessKey\":\"S\"}'\n";
  auto provider = credential_chain({{"AWS_PROFILE", "ci"},
                                    {"AWS_CONFIG_FILE", (dir.path() / "config").string()},
                                    {"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "none").string()},
                                    {"AWS_EC2_METADATA_DISABLED", "true"}});
  ASSERT_TRUE(provider) << provider.error().message;
  auto c = (*provider)->current();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->access_key, "AKP");
  EXPECT_EQ(c->source, "profile ci (credential_process)");
}

} // namespace
} // namespace remote
