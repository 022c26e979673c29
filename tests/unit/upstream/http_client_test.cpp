#include "upstream/http_client.hpp"

#include "upstream/raw_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <thread>

namespace {

using namespace std::chrono_literals;
using upstream::HttpClient;
using upstream::HttpRequest;
using upstream::RetryPolicy;
using upstream::TransferHooks;
using upstream::TransferOutcome;

// One scripted attempt: a status with headers and a body, or a transport failure.
struct Step {
  int status = 0;  // 0: the connection failed before any answer
  std::string body;
  util::Headers headers;
  bool timed_out = false;
  bool breaks_after_body = false;  // the body came, then the connection broke

  Step(int status_ = 0, std::string body_ = {}, util::Headers headers_ = {})
      : status(status_), body(std::move(body_)), headers(std::move(headers_)) {}
};

Step timing_out() {
  Step step;
  step.timed_out = true;
  return step;
}

Step breaking(int status, std::string body) {
  Step step(status, std::move(body));
  step.breaks_after_body = true;
  return step;
}

// Plays its steps in order, one per attempt, and counts the attempts.
struct Script {
  std::deque<Step> steps;
  std::atomic<int> attempts{0};

  HttpClient::Transferer transferer() {
    return [this](const upstream::HttpOptions&, const HttpRequest&, TransferHooks& hooks)
               -> util::Result<TransferOutcome> {
      ++attempts;
      if (steps.empty()) ADD_FAILURE() << "more attempts than scripted";
      Step step = steps.empty() ? Step{} : steps.front();
      if (steps.size() > 1) steps.pop_front();
      TransferOutcome outcome;
      if (step.status == 0) {
        outcome.timed_out = step.timed_out;
        outcome.error = outcome.detail = step.timed_out ? "Timeout was reached" : "Connection refused";
        return outcome;
      }
      hooks.on_status_line(step.status);
      for (const auto& header : step.headers) hooks.on_header(header);
      if (!hooks.on_end_of_headers()) {
        outcome.aborted = true;
        return outcome;
      }
      outcome.status = step.status;
      if (!step.body.empty() &&
          !hooks.on_body({reinterpret_cast<const std::uint8_t*>(step.body.data()), step.body.size()})) {
        outcome.aborted = true;
        outcome.error = outcome.detail = "aborted by callback";
        return outcome;
      }
      if (step.breaks_after_body) {
        outcome.error = outcome.detail = "Connection reset by peer";
        return outcome;
      }
      outcome.complete = true;
      return outcome;
    };
  }
};

RetryPolicy quick(int retries = 3) {
  RetryPolicy policy;
  policy.max_retries = retries;
  policy.floor = 1ms;
  policy.ceiling = 5ms;
  return policy;
}

HttpRequest get(std::string url = "http://bucket.test/key") {
  HttpRequest request;
  request.url = std::move(url);
  return request;
}

TEST(HttpClient, RetriesAGatewayErrorThenGivesTheAnswer) {
  Script script;
  script.steps = {{503, "busy"}, {200, "payload", {{"ETag", "\"e\""}}}};
  const HttpClient client({}, quick(), nullptr, script.transferer());
  auto response = client.send(get(), 1024);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "payload");
  EXPECT_EQ(util::find_header(response->headers, "etag").value_or(""), "\"e\"");
  EXPECT_EQ(script.attempts, 2);
}

TEST(HttpClient, ATransportFailureIsRetriedThenIsTheError) {
  Script script;
  script.steps = {Step(0)};
  const HttpClient client({}, quick(2), nullptr, script.transferer());
  auto response = client.send(get(), 1024);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, util::Errc::upstream_unreachable);
  EXPECT_EQ(response.error().message, "Connection refused");
  EXPECT_EQ(script.attempts, 3);  // the first and two retries
}

TEST(HttpClient, ATimeoutIsErrcTimeout) {
  Script script;
  script.steps = {timing_out()};
  const HttpClient client({}, quick(0), nullptr, script.transferer());
  auto response = client.send(get(), 1024);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, util::Errc::timeout);
  EXPECT_EQ(script.attempts, 1);
}

TEST(HttpClient, WhenTheRetriesAreSpentTheStatusIsTheAnswer) {
  Script script;
  script.steps = {{503, "<Error><Code>SlowDown</Code></Error>"}};
  const HttpClient client({}, quick(2), nullptr, script.transferer());
  auto response = client.send(get(), 1024);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "<Error><Code>SlowDown</Code></Error>");
  EXPECT_EQ(script.attempts, 3);
}

TEST(HttpClient, A404AndA500AreAnswersUnlessThePolicyRetries500) {
  for (int status : {404, 500}) {
    Script script;
    script.steps = {{status, "no"}};
    const HttpClient client({}, quick(), nullptr, script.transferer());
    auto response = client.send(get(), 1024);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, status);
    EXPECT_EQ(script.attempts, 1) << status;
  }
  Script script;
  script.steps = {{500, "InternalError"}, {200, "ok"}};
  auto policy = quick();
  policy.retry_internal_error = true;  // S3's InternalError
  const HttpClient client({}, policy, nullptr, script.transferer());
  auto response = client.send(get(), 1024);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(script.attempts, 2);
}

TEST(HttpClient, APostIsNotRetriedUnlessItReads) {
  Script script;
  script.steps = {{503, ""}, {200, "ok"}};
  const HttpClient client({}, quick(), nullptr, script.transferer());
  auto post = get();
  post.method = "POST";
  auto response = client.send(post, 1024);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(script.attempts, 1);
  post.idempotent_post = true;
  script.steps = {Step(503), Step(200, "ok")};
  response = client.send(post, 1024);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(script.attempts, 3);
}

TEST(HttpClient, ABodyOverTheLimitFailsWithoutRetrying) {
  Script script;
  script.steps = {{200, std::string(100, 'x')}};
  const HttpClient client({}, quick(), nullptr, script.transferer());
  auto response = client.send(get(), 10);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, util::Errc::invalid_argument);
  EXPECT_EQ(response.error().message, "larger than 10 bytes");
  EXPECT_EQ(script.attempts, 1);
}

TEST(HttpClient, ABodyPartlyGivenToTheSinkIsNotAskedAgain) {
  Script script;
  script.steps = {breaking(200, "half")};
  const HttpClient client({}, quick(), nullptr, script.transferer());
  std::string got;
  const upstream::BodySink sink = [&](std::span<const std::uint8_t> bytes) -> util::Result<void> {
    got.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return {};
  };
  auto response = client.send(get(), 1024, &sink);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, util::Errc::upstream_unreachable);
  EXPECT_EQ(got, "half");
  EXPECT_EQ(script.attempts, 1);
}

TEST(HttpClient, AStopEndsTheWaitBetweenRetriesAtOnce) {
  Script script;
  script.steps = {{503, ""}, {200, "too late"}};
  RetryPolicy slow;
  slow.floor = 60s;  // a wait nobody should sit through on SIGTERM
  slow.ceiling = 120s;
  util::StopSignal stop;
  const HttpClient client({}, slow, &stop, script.transferer());
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  auto response = client.send(get(), 1024);
  const auto took = std::chrono::steady_clock::now() - started;
  stopper.join();
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, util::Errc::upstream_unreachable);
  EXPECT_EQ(response.error().message, "shutting down");
  EXPECT_LT(took, 5s);
  EXPECT_EQ(script.attempts, 1);
}

TEST(HttpClient, AStoppedProcessSendsNothing) {
  Script script;
  script.steps = {{200, "ok"}};
  util::StopSignal stop;
  stop.request_stop();
  const HttpClient client({}, quick(), &stop, script.transferer());
  auto response = client.send(get(), 1024);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().message, "shutting down");
  EXPECT_EQ(script.attempts, 0);
}

TEST(HttpClient, TheRealHandleParsesHeadersRetriesAndIgnoresProxyVariables) {
  testutil::RawServer server({"HTTP/1.1 503 Slow Down\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing: a b\r\nConnection: close\r\n\r\nhello"});
  // A proxy variable of the environment must not send the request elsewhere.
  ::setenv("http_proxy", "http://127.0.0.1:9", 1);
  ::setenv("ALL_PROXY", "http://127.0.0.1:9", 1);
  upstream::HttpOptions options;
  options.connect_timeout = 5s;
  options.timeout = 10s;
  const HttpClient client(options, quick(), nullptr);
  auto request = get(server.url());
  request.aws_sigv4 = upstream::AwsSigning{"aws:amz:us-east-1:s3", "AK", "SK", "TOKEN"};
  auto response = client.send(request, 1024);
  ::unsetenv("http_proxy");
  ::unsetenv("ALL_PROXY");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(util::find_header(response->headers, "x-thing").value_or(""), "a b");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  const auto& sent = requests[1];
  EXPECT_NE(sent.find("GET /bucket/key HTTP/1.1"), std::string::npos) << sent;
  EXPECT_NE(sent.find("x-amz-content-sha256: UNSIGNED-PAYLOAD"), std::string::npos) << sent;
  EXPECT_NE(sent.find("x-amz-security-token: TOKEN"), std::string::npos) << sent;
  EXPECT_NE(sent.find("Authorization: AWS4-HMAC-SHA256 Credential=AK/"), std::string::npos) << sent;
}

} // namespace
