// One client's hold on a fetch in flight, from the moment it joins until its answer is sent:
// while a Follower lives and its client is there, the fetch is wanted (cache::Keep). It is
// also the body that client is sent, judged by that client's own expectation, so one
// client's X-Hubcache-Expect-Sha256 decides only what that client gets (issue 14).
#pragma once

#include "cache/in_flight.hpp"
#include "http/message.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <memory>
#include <optional>

namespace cache {

// Who asks for a fetch.
struct Client {
  // Whether the client is still there (null: until it drops its Follower).
  std::shared_ptr<const http::ClientPresence> presence;
  // The sha256 it vouched for (X-Hubcache-Expect-Sha256): if the body has another, this
  // client is cut off and nothing is indexed; the other clients get the body.
  std::optional<util::Sha256> expected;

  static Client of(const http::Request& request,
                   std::optional<util::Sha256> expected = std::nullopt) {
    return {request.presence, std::move(expected)};
  }
};

// Safe from any thread (as a GrowingBody).
class Follower final : public http::GrowingBody {
public:
  // Null if `flight` was cancelled already (nobody wanted it): start another fetch.
  static std::shared_ptr<Follower> make(std::shared_ptr<InFlight> flight, const Client& client);
  ~Follower() override;
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  InFlight& flight() const { return *m_flight; }

  // http::GrowingBody, as this client sees it: failed where the body is whole but not the
  // one it expected.
  int fd() const override { return m_flight->fd(); }
  State state() const override { return m_flight->state(m_expected); }
  void when_changed(const State& seen, std::function<void()> wake) override {
    m_flight->when_changed(seen, m_expected, std::move(wake));
  }
  std::optional<std::int64_t> upstream_ms() const override { return m_flight->upstream_ms(); }
  std::optional<std::string> final_cache() const override {
    if (m_flight->unrecorded()) return "miss";
    return std::nullopt;
  }

private:
  Follower(std::shared_ptr<InFlight> flight, std::optional<util::Sha256> expected, std::uint64_t id)
      : m_flight(std::move(flight)), m_expected(std::move(expected)), m_interest(id) {}

  const std::shared_ptr<InFlight> m_flight;
  const std::optional<util::Sha256> m_expected;
  const std::uint64_t m_interest;
};

} // namespace cache
