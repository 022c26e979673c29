#include "remote/remote_tier.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace {

using namespace std::chrono_literals;
using remote::RemoteTier;
using testutil::repo;
using testutil::revision;

// A backend whose every GET answers what the test says, counting the requests it gets.
class FakeBackend final : public remote::Backend {
public:
  // What get() answers: a row, an absence (404), or an error.
  util::Result<std::optional<std::string>> answer = std::optional<std::string>();
  std::atomic<int> gets{0};
  // When set, get() waits for it before answering (a request in flight).
  std::shared_future<void> gate;
  std::atomic<int> waiting{0};  // gated get()s that have started

  util::Result<std::optional<std::string>> get(const std::string&, std::uint64_t) override {
    ++gets;
    if (gate.valid()) {
      ++waiting;
      gate.wait();
    }
    return answer;
  }
  util::Result<bool> get_to(const std::string&,
                            const std::function<util::Result<void>(std::span<const std::uint8_t>)>&) override {
    ++gets;
    return answer ? util::Result<bool>(answer->has_value()) : tl::unexpected(answer.error());
  }
  util::Result<std::size_t> get_range(const std::string&, std::uint64_t, std::span<std::uint8_t>) override {
    ++gets;
    if (!answer) return tl::unexpected(answer.error());
    return 0;
  }
  util::Result<std::optional<remote::RemoteObject>> head(const std::string&) override { return std::nullopt; }
  util::Result<remote::PutOutcome> put(const std::string&, std::string_view, bool, const std::string&) override {
    return remote::PutOutcome::written;
  }
  util::Result<std::vector<remote::RemoteObject>> list(const std::string&) override {
    ++gets;
    if (!answer) return tl::unexpected(answer.error());
    return std::vector<remote::RemoteObject>{};
  }
  upstream::FetchRequest fetch_request(const std::string&) const override { return {}; }
  std::string describe() const override { return "fake://bucket/ci/"; }
  std::string url_of(const std::string& key) const override { return describe() + key; }
};

struct Fixture {
  FakeBackend* backend = nullptr;
  util::Metrics metrics;
  std::vector<std::string> notices;
  std::mutex notices_mutex;
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point() + 1000h;
  std::unique_ptr<RemoteTier> tier;

  Fixture() {
    auto fake = std::make_unique<FakeBackend>();
    backend = fake.get();
    remote::RemoteOptions options;
    options.url = "s3://bucket/ci";
    options.ttl = 0ms;  // every lookup asks the backend (nothing believed from memory)
    options.cool_down = 30s;
    tier = std::make_unique<RemoteTier>(
        std::move(fake), options, metrics,
        [this](const std::string& line) {
          std::lock_guard lock(notices_mutex);
          notices.push_back(line);
        },
        [this] { return now; });
  }

  // A lookup of a distinct ref each time, so no answer comes from memory.
  util::Result<std::optional<store::Ref>> lookup() {
    static std::atomic<int> n{0};
    return tier->find_ref(store::RepoType::model, repo("org/name"), revision("branch" + std::to_string(++n)));
  }
  std::uint64_t marked() const { return metrics.value("hubcache_remote_backend_failed_total"); }
  bool gauge_says_failed() const {
    return metrics.prometheus().find("\nhubcache_remote_backend_failed 1\n") != std::string::npos;
  }
};

// Waits (bounded) until `count` reaches `n`.
bool wait_for(const std::atomic<int>& count, int n) {
  for (int i = 0; i < 500 && count < n; ++i) std::this_thread::sleep_for(10ms);
  return count >= n;
}

util::Error outage() { return {util::Errc::upstream_unreachable, "GET s3://bucket/ci/x: Connection refused"}; }

TEST(RemoteTier, AFailingBackendIsMarkedAndSkippedDuringTheCoolDown) {
  Fixture f;
  f.backend->answer = tl::unexpected(outage());
  auto first = f.lookup();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message, outage().message);  // the first failure is the backend's own
  EXPECT_EQ(f.backend->gets, 1);
  EXPECT_EQ(f.marked(), 1u);
  EXPECT_TRUE(f.tier->skipping());
  EXPECT_TRUE(f.gauge_says_failed());
  for (int i = 0; i < 10; ++i) {
    f.now += 2s;  // 20 s of the 30 s cool-down
    auto skipped = f.lookup();
    ASSERT_FALSE(skipped);
    EXPECT_EQ(skipped.error().code, util::Errc::upstream_unreachable);
    EXPECT_NE(skipped.error().message.find("the remote tier fake://bucket/ci/ is unavailable"), std::string::npos)
        << skipped.error().message;
  }
  EXPECT_EQ(f.backend->gets, 1);  // not one more request
  EXPECT_EQ(f.marked(), 1u);
  // Every kind of request is skipped, not only rows.
  std::array<std::uint8_t, 4> bytes{};
  EXPECT_FALSE(f.tier->read_blob_range(util::Sha256{}, 0, bytes));
  EXPECT_FALSE(f.tier->files_at(store::RepoType::model, repo("org/name"), testutil::commit_id(std::string(40, 'a'))));
  EXPECT_EQ(f.backend->gets, 1);
  ASSERT_EQ(f.notices.size(), 1u);
  EXPECT_NE(f.notices[0].find("fake://bucket/ci/ failed; not asked for 30 s"), std::string::npos) << f.notices[0];
}

TEST(RemoteTier, AfterTheCoolDownItIsAskedAgainOnceAndMarkedAgainIfStillFailing) {
  Fixture f;
  f.backend->answer = tl::unexpected(outage());
  ASSERT_FALSE(f.lookup());
  f.now += 30s;
  ASSERT_FALSE(f.lookup());  // asked again: still down
  EXPECT_EQ(f.backend->gets, 2);
  EXPECT_EQ(f.marked(), 2u);
  ASSERT_FALSE(f.lookup());  // a new cool-down began
  EXPECT_EQ(f.backend->gets, 2);
  EXPECT_EQ(f.notices.size(), 1u);  // still one line: it never answered meanwhile

  f.backend->answer = std::optional<std::string>();  // back (a 404 is an answer)
  f.now += 30s;
  auto back = f.lookup();
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(*back);
  EXPECT_FALSE(f.tier->skipping());
  EXPECT_FALSE(f.gauge_says_failed());
  ASSERT_TRUE(f.lookup());
  EXPECT_EQ(f.backend->gets, 4);
  ASSERT_EQ(f.notices.size(), 2u);
  EXPECT_EQ(f.notices[1], "remote tier: fake://bucket/ci/ answers again");
  EXPECT_EQ(f.marked(), 2u);
}

// Issue 16: a blob fill runs through the fetcher, outside the tier; its outage marks the
// backend as the tier's own requests' do, and its other failures do not.
TEST(RemoteTier, AFillsOutageReportedToItMarksTheBackend) {
  Fixture f;
  f.tier->report({util::Errc::invalid_argument, "the blob is not what its row says"});
  EXPECT_FALSE(f.tier->skipping());
  f.tier->report(outage());
  EXPECT_TRUE(f.tier->skipping());
  EXPECT_EQ(f.marked(), 1u);
  EXPECT_FALSE(f.lookup());
  EXPECT_EQ(f.backend->gets, 0);  // skipped: not asked
}

TEST(RemoteTier, A404OrARefusalNeverMarksIt) {
  Fixture f;
  f.backend->answer = std::optional<std::string>();  // 404
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.lookup());
  f.backend->answer = tl::unexpected(util::Error{util::Errc::upstream_status, "GET x: 403 AccessDenied"});
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(f.lookup());
  f.backend->answer = tl::unexpected(util::Error{util::Errc::invalid_argument, "GET x: larger than 16 bytes"});
  ASSERT_FALSE(f.lookup());
  EXPECT_EQ(f.backend->gets, 7);  // every one asked
  EXPECT_EQ(f.marked(), 0u);
  EXPECT_FALSE(f.tier->skipping());
  EXPECT_TRUE(f.notices.empty());
}

TEST(RemoteTier, ATimeoutMarksItToo) {
  Fixture f;
  f.backend->answer = tl::unexpected(util::Error{util::Errc::timeout, "GET x: Timeout was reached"});
  ASSERT_FALSE(f.lookup());
  ASSERT_FALSE(f.lookup());
  EXPECT_EQ(f.backend->gets, 1);
  EXPECT_EQ(f.marked(), 1u);
}

TEST(RemoteTier, WhileTheOneReaskIsInFlightTheOthersAreStillSkipped) {
  Fixture f;
  f.backend->answer = tl::unexpected(outage());
  ASSERT_FALSE(f.lookup());
  f.now += 31s;
  std::promise<void> open;
  f.backend->gate = open.get_future().share();
  f.backend->answer = std::optional<std::string>("{}");
  std::thread reask([&] { (void)f.lookup(); });
  ASSERT_TRUE(wait_for(f.backend->waiting, 1));  // the re-ask is at the backend now
  auto meanwhile = f.lookup();
  ASSERT_FALSE(meanwhile);
  EXPECT_NE(meanwhile.error().message.find("being asked again"), std::string::npos) << meanwhile.error().message;
  open.set_value();
  reask.join();
  EXPECT_EQ(f.backend->gets, 2);
  f.backend->gate = {};
  f.backend->answer = std::optional<std::string>();
  EXPECT_TRUE(f.lookup());  // it answered: no longer skipped
  EXPECT_EQ(f.backend->gets, 3);
}

} // namespace

namespace {

TEST(RemoteTier, RequestsUnderWayWhenItFailsMarkItOnce) {
  Fixture f;
  std::promise<void> open;
  f.backend->gate = open.get_future().share();
  f.backend->answer = tl::unexpected(outage());
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) clients.emplace_back([&] { EXPECT_FALSE(f.lookup()); });
  ASSERT_TRUE(wait_for(f.backend->waiting, 3));  // all three asked before any failed
  open.set_value();
  for (auto& client : clients) client.join();
  EXPECT_EQ(f.marked(), 1u);
  EXPECT_EQ(f.notices.size(), 1u);
  f.backend->gate = {};
  EXPECT_FALSE(f.lookup());
  EXPECT_EQ(f.backend->gets, 3);  // skipped now
}

TEST(RemoteTier, AZeroCoolDownNeverSkips) {
  auto fake = std::make_unique<FakeBackend>();
  FakeBackend& backend = *fake;
  backend.answer = tl::unexpected(outage());
  util::Metrics metrics;
  remote::RemoteOptions options;
  options.ttl = 0ms;
  options.cool_down = 0ms;
  RemoteTier tier(std::move(fake), options, metrics);
  for (int i = 0; i < 3; ++i) {
    auto found = tier.find_ref(store::RepoType::model, repo("org/name"), revision("main"));
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().message, outage().message);
  }
  EXPECT_EQ(backend.gets, 3);
  EXPECT_EQ(metrics.value("hubcache_remote_backend_failed_total"), 0u);
}

} // namespace

namespace {

// Issue 18: N requests missing one row at once send the bucket one GET, not N.
TEST(RemoteTier, ConcurrentLookupsOfOneRowShareOneRequest) {
  Fixture f;  // a TTL of zero: nothing is believed from memory, only shared
  std::promise<void> open;
  f.backend->gate = open.get_future().share();
  f.backend->answer = std::optional<std::string>();  // not in the bucket
  constexpr int askers = 8;
  std::atomic<int> absent{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < askers; ++i) {
    threads.emplace_back([&] {
      auto found = f.tier->find_ref(store::RepoType::model, repo("org/name"), revision("main"));
      if (found && !*found) ++absent;
    });
  }
  ASSERT_TRUE(wait_for(f.backend->waiting, 1));
  for (int i = 0; i < 500 && f.metrics.value("hubcache_remote_lookups_shared_total") < askers - 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(f.metrics.value("hubcache_remote_lookups_shared_total"), std::uint64_t{askers - 1});
  open.set_value();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(absent, askers);  // every asker got the one answer
  EXPECT_EQ(f.backend->gets, 1);
  // Once it landed, the next lookup asks again (the TTL believes nothing).
  f.backend->gate = {};
  EXPECT_TRUE(f.tier->find_ref(store::RepoType::model, repo("org/name"), revision("main")));
  EXPECT_EQ(f.backend->gets, 2);
}

TEST(RemoteTier, KnowsOnlyWhatItCanAnswerWithoutAsking) {
  auto fake = std::make_unique<FakeBackend>();
  FakeBackend& backend = *fake;
  backend.answer = std::optional<std::string>();
  util::Metrics metrics;
  remote::RemoteOptions options;
  options.ttl = 30s;
  RemoteTier tier(std::move(fake), options, metrics);
  const auto name = revision("main");
  EXPECT_FALSE(tier.knows_ref(store::RepoType::model, repo("org/name"), name));
  ASSERT_TRUE(tier.find_ref(store::RepoType::model, repo("org/name"), name));
  EXPECT_TRUE(tier.knows_ref(store::RepoType::model, repo("org/name"), name));  // "absent", for the TTL
  EXPECT_FALSE(tier.knows_ref(store::RepoType::model, repo("org/other"), name));
  EXPECT_FALSE(tier.knows_exchange("GET http://o.test/x"));
  EXPECT_EQ(backend.gets, 1);
}

TEST(RemoteTier, ASkippedBackendIsKnownToAnswerAtOnce) {
  Fixture f;
  f.backend->answer = tl::unexpected(outage());
  ASSERT_FALSE(f.lookup());  // marked failed: skipped for 30 s
  EXPECT_TRUE(f.tier->knows_exchange("GET http://o.test/x"));
  f.now += 29s + 500ms;  // less than the margin left: the next lookup may ask
  EXPECT_FALSE(f.tier->knows_exchange("GET http://o.test/x"));
}

} // namespace
