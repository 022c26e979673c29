#include "remote/credential_provider.hpp"
#include "testutil.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace remote {
namespace {

// Keys "K1", "K2", ... expiring `lifetime` ms after each fetch, by the manual clock.
struct CountingSource {
  testutil::ManualClock& clock;
  util::UnixMillis lifetime;
  std::atomic<int> calls{0};
  std::atomic<bool> failing{false};

  util::Result<AwsCredentials> operator()() {
    const int n = ++calls;
    if (failing) return util::fail(util::Errc::upstream_unreachable, "STS is down");
    AwsCredentials c;
    c.access_key = "K" + std::to_string(n);
    c.secret_key = "S" + std::to_string(n);
    c.source = "web identity role arn:aws:iam::1:role/x";
    c.expiration = clock.now() + lifetime;
    return c;
  }
};

TEST(CredentialProvider, FetchedKeysThatWouldBreakAHeaderLineAreRefused) {
  testutil::ManualClock clock;
  CredentialProvider provider(
      "container credentials",
      [] {
        AwsCredentials c;
        c.access_key = "AK";
        c.secret_key = "SK";
        c.session_token = "TOKEN\r\nX-Evil: 1";
        c.source = "container credentials";
        return util::Result<AwsCredentials>(c);
      },
      clock);
  auto keys = provider.current();
  ASSERT_FALSE(keys);
  EXPECT_NE(keys.error().message.find("container credentials"), std::string::npos) << keys.error().message;
  EXPECT_EQ(keys.error().message.find("TOKEN"), std::string::npos) << keys.error().message;
}

TEST(CredentialProvider, RenewsFiveMinutesBeforeExpiration) {
  testutil::ManualClock clock;
  CountingSource source{clock, 3600'000};
  CredentialProvider provider(
      "web identity", [&] { return source(); }, clock);
  auto first = provider.current();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->access_key, "K1");
  clock.advance_ms(3600'000 - 5 * 60'000 - 1);
  EXPECT_EQ(provider.current()->access_key, "K1"); // not yet due
  EXPECT_EQ(source.calls, 1);
  clock.advance_ms(2);
  EXPECT_EQ(provider.current()->access_key, "K2"); // within 5 minutes of the end
  EXPECT_EQ(source.calls, 2);
  EXPECT_EQ(provider.fetches(), 2u);
}

TEST(CredentialProvider, RenewsShortSessionsAtHalfTheirLife) {
  testutil::ManualClock clock;
  CountingSource source{clock, 20'000};
  CredentialProvider provider(
      "container credentials", [&] { return source(); }, clock);
  EXPECT_EQ(provider.current()->access_key, "K1");
  clock.advance_ms(9'000);
  EXPECT_EQ(provider.current()->access_key, "K1");
  clock.advance_ms(2'000);
  EXPECT_EQ(provider.current()->access_key, "K2");
  EXPECT_EQ(source.calls, 2);
}

TEST(CredentialProvider, KeepsValidKeysWhenRenewingFailsThenNamesTheSource) {
  testutil::ManualClock clock;
  CountingSource source{clock, 20'000};
  CredentialProvider provider(
      "web identity", [&] { return source(); }, clock);
  ASSERT_TRUE(provider.current());
  source.failing = true;
  clock.advance_ms(15'000); // due, still valid
  auto kept = provider.current();
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->access_key, "K1");
  EXPECT_EQ(source.calls, 2);
  clock.advance_ms(1'000); // within the 5 s after the failure: not asked again
  EXPECT_TRUE(provider.current());
  EXPECT_EQ(source.calls, 2);
  clock.advance_ms(5'000); // expired now
  auto gone = provider.current();
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, util::Errc::upstream_unreachable);
  EXPECT_EQ(gone.error().message,
            "credentials (web identity role arn:aws:iam::1:role/x): STS is down");
  source.failing = false;
  auto back = provider.current();
  ASSERT_TRUE(back);
  EXPECT_EQ(back->access_key, "K4");
}

TEST(CredentialProvider, TheFirstFailureNamesTheConfiguredSource) {
  testutil::ManualClock clock;
  CredentialProvider provider(
      "container credentials",
      [] { return util::Result<AwsCredentials>(util::fail(util::Errc::upstream_status, "403")); },
      clock);
  auto c = provider.current();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "credentials (container credentials): 403");
  EXPECT_FALSE(provider.last());
}

TEST(CredentialProvider, KeysAlreadyExpiredAreAnError) {
  testutil::ManualClock clock;
  CredentialProvider provider(
      "instance profile",
      [&] {
        AwsCredentials c{"K", "S", "", "us-east-1", "instance profile r", clock.now() - 1};
        return util::Result<AwsCredentials>(c);
      },
      clock);
  auto c = provider.current();
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("have expired"), std::string::npos);
  EXPECT_EQ(c.error().message.find("\"S\""), std::string::npos);
}

TEST(CredentialProvider, FixedCredentialsAreNeverFetched) {
  auto provider = CredentialProvider::fixed({"AK", "SK", "", "us-east-1", "environment"});
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(provider->current()->access_key, "AK");
  EXPECT_EQ(provider->fetches(), 0u);
  EXPECT_EQ(provider->source(), "environment");
}

TEST(CredentialProvider, OneFetchAtATimeWhileOthersWait) {
  testutil::ManualClock clock;
  std::atomic<int> calls{0};
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  CredentialProvider provider(
      "web identity",
      [&] {
        const int now_inside = ++inside;
        most_inside = std::max(most_inside.load(), now_inside);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ++calls;
        --inside;
        AwsCredentials c{"K", "S", "T", "us-east-1", "web identity role r", clock.now() + 3600'000};
        return util::Result<AwsCredentials>(c);
      },
      clock);
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (auto c = provider.current(); c && c->access_key == "K") ++good;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(good, 8);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(most_inside, 1);
}

TEST(CredentialProvider, OthersUseValidKeysWhileOneRenews) {
  testutil::ManualClock clock;
  std::atomic<int> calls{0};
  std::atomic<bool> release{false};
  CredentialProvider provider(
      "web identity",
      [&] {
        const int n = ++calls;
        if (n == 2) {
          for (int i = 0; i < 500 && !release; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        AwsCredentials c{"K" + std::to_string(n), "S", "T", "us-east-1", "r", clock.now() + 20'000};
        return util::Result<AwsCredentials>(c);
      },
      clock);
  ASSERT_EQ(provider.current()->access_key, "K1");
  clock.advance_ms(15'000);
  std::thread renewing([&] { EXPECT_EQ(provider.current()->access_key, "K2"); });
  for (int i = 0; i < 200 && calls < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(calls, 2);
  EXPECT_EQ(provider.current()->access_key, "K1"); // not blocked behind the renewal
  release = true;
  renewing.join();
  EXPECT_EQ(provider.current()->access_key, "K2");
}

} // namespace
} // namespace remote
