#include "cache/follower.hpp"

namespace cache {

std::shared_ptr<Follower> Follower::make(std::shared_ptr<InFlight> flight, const Client& client) {
  const auto id = flight->add_interest(client.presence, client.expected);
  if (!id) return nullptr;
  return std::shared_ptr<Follower>(new Follower(std::move(flight), client.expected, *id));
}

Follower::~Follower() {
  m_flight->drop_interest(m_interest);
}

} // namespace cache
