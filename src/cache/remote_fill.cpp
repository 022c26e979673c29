#include "cache/remote_fill.hpp"

#include "cache/responses.hpp"

namespace cache {

std::shared_ptr<Follower> start_remote_fill(Fetches& fetches, remote::RemoteTier& remote,
                                            const util::Sha256& digest, std::uint64_t size,
                                            std::function<void(const store::BlobReader&)> index,
                                            util::Metrics& metrics, const Notice& notice,
                                            const Client& client) {
  auto request = remote.blob_request(digest);
  const std::string where = remote.describe();
  auto joined = fetches.join_or_start(
      "remote-blob " + digest.hex(), client, std::move(request),
      [&remote, &metrics, notice, digest, size, where, index = std::move(index)](
          InFlight& flight, const upstream::ResponseHead& head, std::int64_t ms) {
        remote.count_bytes(flight.received());
        if (head.status != 200) {
          flight.writer().discard();
          flight.fail({util::Errc::upstream_status,
                       "the remote tier " + where + " answered " + std::to_string(head.status) +
                           " for blob " + digest.hex()});
          return;
        }
        auto committed = flight.commit({size, digest});
        if (!committed) {
          metrics.counter("hubcache_integrity_failures_total", "Upstream bodies refused: wrong length or sha256")
              .add();
          if (notice) notice("not stored: blob " + digest.hex() + " from " + where + ": " + committed.error().message);
          flight.fail(committed.error());
          return;
        }
        if (index) index(*committed);
        flight.finish(std::move(*committed), ms);
      },
      {}, digest, Keep::until_done);
  return joined.follower;
}

void respond_remote(const std::shared_ptr<Follower>& follower, int status, util::Headers headers,
                    util::Metrics& metrics, const Notice& notice, const std::string& what,
                    http::Respond respond) {
  follower->flight().wait_for_head([follower, status, headers = std::move(headers), &metrics, notice,
                                    what, respond](const upstream::ResponseHead* head,
                                                   const util::Error* error) mutable {
    if (!head) {
      respond(upstream_failure(metrics, notice, what, *error));
      return;
    }
    if (head->status != 200) {
      respond(upstream_failure(
          metrics, notice, what,
          {util::Errc::upstream_unreachable,
           "the remote tier answered " + std::to_string(head->status) + " for a blob it names"}));
      return;
    }
    http::Response response;
    response.status = status;
    response.headers = std::move(headers);
    response.cache = "remote";
    response.body = std::static_pointer_cast<http::GrowingBody>(follower);
    respond(std::move(response));
  });
}

} // namespace cache
