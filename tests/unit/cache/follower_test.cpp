#include "cache/follower.hpp"
#include "testutil.hpp"

#include <fcntl.h>
#include <thread>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

std::shared_ptr<cache::InFlight>
begun(store::Store& store, cache::Keep keep = cache::Keep::while_wanted,
      std::chrono::milliseconds linger = cache::InFlight::k_linger) {
  auto writer = store.begin_blob().value();
  util::UniqueFd fd(::open(writer.tmp_path().c_str(), O_RDONLY | O_CLOEXEC));
  auto flight = std::make_shared<cache::InFlight>("GET http://o.test/x", keep, linger);
  flight->begin(std::move(writer), std::move(fd), std::nullopt);
  return flight;
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

upstream::ResponseHead head_of(std::uint64_t length) {
  upstream::ResponseHead head;
  head.status = 200;
  head.content_length = length;
  return head;
}

cache::Client present(const std::shared_ptr<http::ClientPresence>& presence,
                      std::optional<util::Sha256> expected = std::nullopt) {
  return {presence, expected};
}

TEST(Follower, AFetchIsWantedWhileAFollowerLivesAndItsClientIsThere) {
  testutil::TestStore s;
  auto flight = begun(*s);
  auto there = std::make_shared<http::ClientPresence>();
  auto leaving = std::make_shared<http::ClientPresence>();
  auto a = cache::Follower::make(flight, present(there));
  auto b = cache::Follower::make(flight, present(leaving));
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(flight->cancelled());
  leaving->mark_gone();
  EXPECT_FALSE(flight->cancelled()); // `a` still waits
  a.reset();
  // Before the head, a fetch whose clients all left is given up at once.
  EXPECT_TRUE(flight->cancelled());
  EXPECT_TRUE(flight->cancelled()); // and stays so
  // Nobody joins a cancelled fetch: the caller starts another.
  EXPECT_EQ(cache::Follower::make(flight, present(there)), nullptr);
}

TEST(Follower, AClientWithoutPresenceCountsUntilItsFollowerGoes) {
  testutil::TestStore s;
  auto flight = begun(*s);
  auto follower = cache::Follower::make(flight, {});
  EXPECT_FALSE(flight->cancelled());
  follower.reset();
  EXPECT_TRUE(flight->cancelled());
}

TEST(Follower, AfterTheHeadTheFetchLingersForAClientComingBackForTheBody) {
  testutil::TestStore s;
  auto flight = begun(*s, cache::Keep::while_wanted, 100ms);
  auto head_client = cache::Follower::make(flight, {});
  flight->on_head(head_of(10));
  head_client.reset(); // a HEAD answered from the head
  EXPECT_FALSE(flight->cancelled());
  // The GET that follows joins the same fetch.
  auto body_client = cache::Follower::make(flight, {});
  ASSERT_TRUE(body_client);
  body_client.reset();
  EXPECT_FALSE(flight->cancelled());
  std::this_thread::sleep_for(150ms);
  EXPECT_TRUE(flight->cancelled());
}

TEST(Follower, AKeptFetchIsNeverCancelled) {
  testutil::TestStore s;
  auto flight = begun(*s, cache::Keep::until_done, 0ms);
  auto gone = std::make_shared<http::ClientPresence>();
  gone->mark_gone();
  auto follower = cache::Follower::make(flight, present(gone));
  follower.reset();
  EXPECT_FALSE(flight->cancelled());
}

// Issue 14, finding 11: one client's wrong X-Hubcache-Expect-Sha256 fails only that client.
TEST(Follower, AClientsExpectationDecidesOnlyWhatThatClientGets) {
  testutil::TestStore s;
  auto flight = begun(*s);
  const std::string body = "0123456789";
  const auto right = util::Sha256::of(body);
  const auto wrong = util::Sha256::of("something else");
  auto plain = cache::Follower::make(flight, {});
  auto vouching = cache::Follower::make(flight, {nullptr, right});
  auto mistaken = cache::Follower::make(flight, {nullptr, wrong});
  flight->on_head(head_of(body.size()));
  ASSERT_TRUE(flight->on_body(bytes(body)));
  int mistaken_woken = 0;
  mistaken->when_changed(mistaken->state(), [&] { ++mistaken_woken; });
  for (const auto& f : {plain, vouching, mistaken}) {
    EXPECT_EQ(f->state().available, 9u); // the last byte held back from everyone
    EXPECT_FALSE(f->state().complete);
  }

  // The shared fetch commits against the upstream's claims only.
  auto committed = flight->commit({body.size(), std::nullopt});
  ASSERT_TRUE(committed) << committed.error().message;
  EXPECT_EQ(committed->digest(), right);
  EXPECT_TRUE(flight->expectation_violated(committed->digest())); // so: not indexed
  flight->finish(std::move(*committed), 1);

  EXPECT_TRUE(plain->state().complete);
  EXPECT_EQ(plain->state().available, 10u);
  EXPECT_TRUE(vouching->state().complete);
  EXPECT_FALSE(vouching->state().failed);
  const auto cut = mistaken->state();
  EXPECT_TRUE(cut.failed);
  EXPECT_FALSE(cut.complete);
  EXPECT_EQ(cut.available, 9u); // never the last byte
  EXPECT_EQ(mistaken_woken, 1);
}

TEST(Follower, ExpectationsDoNotApplyToAnErrorPage) {
  testutil::TestStore s;
  auto flight = begun(*s);
  auto mistaken = cache::Follower::make(flight, {nullptr, util::Sha256::of("x")});
  upstream::ResponseHead head = head_of(9);
  head.status = 404;
  flight->on_head(head);
  ASSERT_TRUE(flight->on_body(bytes("not found")));
  auto committed = flight->commit({9, std::nullopt});
  ASSERT_TRUE(committed);
  flight->finish(std::move(*committed), 1, cache::Expectations::ignore);
  EXPECT_TRUE(mistaken->state().complete);
  EXPECT_FALSE(mistaken->state().failed);
}

TEST(Follower, WithoutExpectationsTheBodyIsNotViolated) {
  testutil::TestStore s;
  auto flight = begun(*s);
  auto a = cache::Follower::make(flight, {nullptr, util::Sha256::of("ab")});
  EXPECT_FALSE(flight->expectation_violated(util::Sha256::of("ab")));
  EXPECT_TRUE(flight->expectation_violated(util::Sha256::of("abc")));
}

// A partial file is kept under the digest a client claimed; bytes of an earlier fetch in it
// are vouched for by that digest alone, so a body that does not hash to it is refused whole.
TEST(InFlightResume, ABodyGoneOnFromAPartialFileMustHashToItsDigest) {
  testutil::TestStore s;
  const auto claimed = util::Sha256::of("the real body");
  {
    auto writer = s->begin_resumable_blob(claimed).value();
    ASSERT_TRUE(writer.write(std::string_view("other ")));
  } // dropped: the partial file stays
  auto writer = s->begin_resumable_blob(claimed).value();
  ASSERT_EQ(writer.size(), 6u);
  util::UniqueFd fd(::open(writer.tmp_path().c_str(), O_RDONLY | O_CLOEXEC));
  auto flight = std::make_shared<cache::InFlight>("GET http://o.test/y");
  flight->begin(std::move(writer), std::move(fd), claimed);
  auto follower = cache::Follower::make(flight, {});
  flight->on_head(head_of(11));
  ASSERT_TRUE(flight->on_body(bytes("bytes")));
  auto committed = flight->commit({11, std::nullopt}); // the length is right
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, util::Errc::corrupt);
}

} // namespace
