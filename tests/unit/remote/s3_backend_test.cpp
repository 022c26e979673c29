#include "remote/s3_backend.hpp"

#include "testutil.hpp"
#include "upstream/fetcher.hpp"
#include "upstream/raw_server.hpp"
#include "util/metrics.hpp"

#include <gtest/gtest.h>

namespace remote {
namespace {

std::string answer(const std::string& status_line, const std::string& body = {}) {
  return "HTTP/1.1 " + status_line + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

S3Backend backend_at(const testutil::RawServer& server) {
  auto at = parse_s3_location("s3://fleet/ci", server.endpoint(), "us-east-1");
  EXPECT_TRUE(at);
  S3Options options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.timeout = std::chrono::milliseconds(10'000);
  return S3Backend(std::make_unique<S3Client>(*at, AwsCredentials{"AK", "SK", "", "us-east-1", "test"}, options));
}

// Backend's contract, which RemoteTier marks by: a 5xx after the retries is an outage.
TEST(S3Backend, A5xxStillThereAfterTheRetriesIsAnOutage) {
  const std::string slow = "<Error><Code>SlowDown</Code><Message>Please reduce</Message></Error>";
  testutil::RawServer server({answer("503 Slow Down", slow), answer("500 Internal Server Error"),
                              answer("503 Slow Down", slow)});
  auto backend = backend_at(server);
  auto got = backend.get("meta/refs/x.json", 1024);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, util::Errc::upstream_unreachable);
  EXPECT_EQ(got.error().message, "GET s3://fleet/ci/meta/refs/x.json: 503 SlowDown: Please reduce");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);  // the first try and two retries, 500 included
  EXPECT_NE(requests[0].find("GET /fleet/ci/meta/refs/x.json HTTP/1.1"), std::string::npos) << requests[0];
}

TEST(S3Backend, A404IsNoErrorAndA403IsNoOutage) {
  testutil::RawServer server({answer("404 Not Found"),
                              answer("403 Forbidden", "<Error><Code>AccessDenied</Code></Error>")});
  auto backend = backend_at(server);
  auto missing = backend.get("a", 1024);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto refused = backend.get("b", 1024);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, util::Errc::upstream_status);
  EXPECT_EQ(refused.error().message, "GET s3://fleet/ci/b: 403 AccessDenied (credentials: test)");
  EXPECT_EQ(server.requests().size(), 2u);  // neither retried
}

TEST(S3Backend, AnUnreachableBucketIsAnOutage) {
  std::string endpoint;
  {
    testutil::RawServer closed({});  // a port nobody listens on once it is gone
    endpoint = closed.endpoint();
  }
  auto at = parse_s3_location("s3://fleet/ci", endpoint, "us-east-1");
  ASSERT_TRUE(at);
  S3Options options;
  options.retries = 0;
  S3Backend backend(std::make_unique<S3Client>(*at, AwsCredentials{}, options));
  auto got = backend.get("x", 1024);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, util::Errc::upstream_unreachable);
  EXPECT_EQ(got.error().message.rfind("GET s3://fleet/ci/x: ", 0), 0u) << got.error().message;
}

TEST(S3Client, AStopEndsTheWaitBetweenRetriesAtOnce) {
  testutil::RawServer server({"HTTP/1.1 503 Slow Down\r\nRetry-After: 60\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n"});
  auto at = parse_s3_location("s3://fleet/ci", server.endpoint(), "us-east-1");
  ASSERT_TRUE(at);
  util::StopSignal stop;
  S3Options options;
  options.stop = &stop;
  const S3Client client(*at, AwsCredentials{}, options);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  auto got = client.get("x");
  const auto took = std::chrono::steady_clock::now() - started;
  stopper.join();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message, "GET s3://fleet/ci/x: shutting down");
  EXPECT_LT(took, std::chrono::milliseconds(1500));  // the policy's wait would be 2 s
  EXPECT_EQ(server.requests().size(), 1u);
}

// A fill that outlives its credentials: each try of the fetch is signed with the keys the
// provider gives then, so a resume after the first keys' refresh point carries the new ones.
TEST(S3Client, AFetchSignsEachTryWithTheKeysCurrentThen) {
  testutil::RawServer server({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nETag: \"e1\"\r\n"
                              "Connection: close\r\n\r\nhello",  // breaks after 5 bytes
                              "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-9/10\r\n"
                              "Content-Length: 5\r\nETag: \"e1\"\r\nConnection: close\r\n\r\nworld"});
  auto at = parse_s3_location("s3://fleet/ci", server.endpoint(), "us-east-1");
  ASSERT_TRUE(at);
  testutil::ManualClock clock;
  int issued = 0;
  auto provider = std::make_shared<CredentialProvider>(
      "test role",
      [&]() -> util::Result<AwsCredentials> {
        ++issued;
        return AwsCredentials{"AKEY" + std::to_string(issued), "SK", "TOKEN" + std::to_string(issued), "us-east-1",
                              "test role", clock.now() + 60'000};
      },
      clock);
  const S3Client client(*at, provider, "us-east-1");

  class Sink final : public upstream::FetchSink {
  public:
    explicit Sink(testutil::ManualClock& clock) : m_clock(clock) {}
    void on_head(const upstream::ResponseHead&) override {}
    util::Result<void> on_body(std::span<const std::uint8_t> bytes) override {
      body.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      m_clock.advance_ms(45'000);  // past the first keys' refresh point (half of 60 s)
      return {};
    }
    std::string body;

  private:
    testutil::ManualClock& m_clock;
  } sink(clock);

  util::Metrics metrics;
  util::StopSignal stop;
  upstream::FetcherOptions options;
  options.retry.floor = std::chrono::milliseconds(1);
  options.retry.jitter = 0;
  upstream::Fetcher fetcher(options, metrics, stop, {});
  auto fetched = fetcher.fetch(client.fetch_request("blobs/x"), sink);
  ASSERT_TRUE(fetched) << fetched.error().message;
  EXPECT_EQ(sink.body, "helloworld");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].find("Credential=AKEY1/"), std::string::npos) << requests[0];
  EXPECT_NE(requests[0].find("x-amz-security-token: TOKEN1"), std::string::npos) << requests[0];
  EXPECT_NE(requests[1].find("Credential=AKEY2/"), std::string::npos) << requests[1];
  EXPECT_NE(requests[1].find("x-amz-security-token: TOKEN2"), std::string::npos) << requests[1];
  EXPECT_NE(requests[1].find("Range: bytes=5-"), std::string::npos) << requests[1];
}

} // namespace
} // namespace remote
