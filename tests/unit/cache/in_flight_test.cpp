#include "cache/in_flight.hpp"

#include "testutil.hpp"

#include <fcntl.h>

#include <gtest/gtest.h>

namespace {

std::shared_ptr<cache::InFlight> make_flight(store::Store& store) {
  auto writer = store.begin_blob().value();
  util::UniqueFd fd(::open(writer.tmp_path().c_str(), O_RDONLY | O_CLOEXEC));
  auto flight = std::make_shared<cache::InFlight>("GET http://o.test/x");
  flight->begin(std::move(writer), std::move(fd), std::nullopt);
  return flight;
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(InFlight, HoldsBackTheLastByteUntilFinished) {
  testutil::TestStore s;
  auto flight = make_flight(*s);
  upstream::ResponseHead head;
  head.status = 200;
  head.content_length = 10;
  flight->on_head(head);
  ASSERT_TRUE(flight->on_body(bytes("01234")));
  ASSERT_TRUE(flight->on_body(bytes("56789")));
  auto state = flight->state();
  EXPECT_EQ(state.available, 9u);
  EXPECT_FALSE(state.complete);
  EXPECT_EQ(state.total, 10u);
  flight->finish(std::nullopt, 5);
  state = flight->state();
  EXPECT_EQ(state.available, 10u);
  EXPECT_TRUE(state.complete);
  EXPECT_EQ(flight->upstream_ms(), 5);
  char buffer[10];
  EXPECT_EQ(::pread(flight->fd(), buffer, 10, 0), 10);
  EXPECT_EQ(std::string(buffer, 10), "0123456789");
}

TEST(InFlight, WakesWatchersWhenBytesArriveOrAtOnceIfTheyAlreadyHave) {
  testutil::TestStore s;
  auto flight = make_flight(*s);
  const auto seen = flight->state();
  int wakes = 0;
  flight->when_changed(seen, std::nullopt, [&] { ++wakes; });
  EXPECT_EQ(wakes, 0);
  ASSERT_TRUE(flight->on_body(bytes("ab")));
  EXPECT_EQ(wakes, 1);
  flight->when_changed(seen, std::nullopt, [&] { ++wakes; });  // stale view: woken at once
  EXPECT_EQ(wakes, 2);
  ASSERT_TRUE(flight->on_body(bytes("c")));
  EXPECT_EQ(wakes, 2);  // one-shot
}

TEST(InFlight, HeadWaitersGetTheHeadOrTheError) {
  testutil::TestStore s;
  auto flight = make_flight(*s);
  int heads = 0, errors = 0;
  flight->wait_for_head([&](const upstream::ResponseHead* h, const util::Error* e) {
    heads += h != nullptr;
    errors += e != nullptr;
  });
  upstream::ResponseHead head;
  head.status = 404;
  flight->on_head(head);
  EXPECT_EQ(heads, 1);
  flight->wait_for_head([&](const upstream::ResponseHead* h, const util::Error*) {
    EXPECT_EQ(h->status, 404);
    ++heads;
  });
  EXPECT_EQ(heads, 2);

  auto failing = make_flight(*s);
  bool woken = false;
  failing->when_changed(failing->state(), std::nullopt, [&] { woken = true; });
  failing->wait_for_head([&](const upstream::ResponseHead* h, const util::Error* e) {
    EXPECT_EQ(h, nullptr);
    EXPECT_EQ(e->code, util::Errc::upstream_unreachable);
    ++errors;
  });
  failing->fail({util::Errc::upstream_unreachable, "refused"});
  EXPECT_EQ(errors, 1);
  EXPECT_TRUE(woken);
  EXPECT_TRUE(failing->state().failed);
  EXPECT_EQ(util::dir_usage(s->layout().tmp_dir()).value().files, 1u);  // only `flight`'s
}

} // namespace
