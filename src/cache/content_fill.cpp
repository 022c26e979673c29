#include "cache/content_fill.hpp"

#include "cache/responses.hpp"

namespace cache {

std::string content_key(const util::Sha256& digest) { return "blob " + digest.hex(); }

std::shared_ptr<const store::BlobReader> stored_content(store::Store& store, Recording& recording,
                                                        const Content& content, const std::string& name) {
  auto blob = store.blobs().open(content.digest);
  if (!blob || !*blob || (*blob)->size() != content.size) return nullptr;
  auto reader = std::make_shared<const store::BlobReader>(std::move(**blob));
  if (content.index) recording.noted(content.index(*reader), name);
  return reader;
}

Filling fill_content(Fetches& fetches, store::Store& store, Recording& recording,
                     const Content& content, ContentSource source, const Client& client) {
  if (auto stored = stored_content(store, recording, content, source.name)) return {stored, nullptr};
  const auto digest = content.digest;
  const auto size = content.size;
  const auto index = content.index;
  const std::string name = source.name;
  const auto keep = source.keep;
  const auto failed = source.failed;
  auto joined = fetches.join_or_start(
      content_key(digest), client, std::move(source.request),
      [&recording, digest, size, index, name, count = std::move(source.count_bytes), failed = source.failed](
          InFlight& flight, const upstream::ResponseHead& head, std::int64_t ms) {
        if (count) count(flight.received());
        if (head.status != 200) {
          const std::string why = name + " answered " + std::to_string(head.status) + " for blob " + digest.hex();
          if (failed && head.status >= 500) failed({util::Errc::upstream_unreachable, why});
          flight.writer().discard();
          flight.fail({util::Errc::upstream_status, why});
          return;
        }
        auto committed = recording.commit(flight, {size, digest}, name);
        if (!committed) return;
        if (!recording.vouched_against(flight, digest, name) && index) {
          recording.stored(index(*committed), flight, name);
        }
        flight.finish(std::move(*committed), ms);
      },
      [&store, digest] {
        auto blob = store.blobs().open(digest);
        return blob && *blob;
      },
      digest, keep);
  if (joined.stored) {
    if (auto stored = stored_content(store, recording, content, name)) return {stored, nullptr};
    return {};
  }
  if (joined.started && failed) {
    // No answer at all (refused, timed out): the source's own failure.
    joined.follower->flight().wait_for_head([failed](const upstream::ResponseHead* head, const util::Error* error) {
      if (!head && error) failed(*error);
    });
  }
  if (joined.follower && !joined.started && index) {
    // Someone else's flight: it names the blob its way; this asker names it its own way.
    joined.follower->flight().wait_for_end([&store, &recording, content, name](bool whole) {
      if (whole) stored_content(store, recording, content, name);
    });
  }
  return {nullptr, joined.follower};
}

void respond_filling(const std::shared_ptr<Follower>& follower, int status, util::Headers headers,
                     std::string cache_result, util::Metrics& metrics, const Notice& notice,
                     const std::string& what, http::Respond respond,
                     std::function<void(const http::Respond&)> refused) {
  follower->flight().wait_for_head([follower, status, headers = std::move(headers),
                                    cache_result = std::move(cache_result), &metrics, notice, what,
                                    respond, refused = std::move(refused)](const upstream::ResponseHead* head,
                                                                           const util::Error* error) mutable {
    if (!head) {
      respond(upstream_failure(metrics, notice, what, *error));
      return;
    }
    if (head->status != 200 && refused) {
      refused(respond);
      return;
    }
    if (head->status != 200) {
      respond(upstream_failure(
          metrics, notice, what,
          {util::Errc::upstream_unreachable,
           "the source answered " + std::to_string(head->status) + " for a blob it names"}));
      return;
    }
    http::Response response;
    response.status = status;
    response.headers = std::move(headers);
    response.cache = std::move(cache_result);
    response.body = std::static_pointer_cast<http::GrowingBody>(follower);
    respond(std::move(response));
  });
}

} // namespace cache
