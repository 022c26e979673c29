// One fetch per content (DESIGN.md): a body whose sha256 and size are known before its bytes
// (the Hub's X-Linked-Etag on a recorded answer, a bucket row) is fetched by one flight keyed
// by that digest, whichever repo, revision, path, route or tier asked for it. The flight
// checks the body against the digest before anything names it; then each asker files its own
// name for the blob.
#pragma once

#include "cache/fetches.hpp"
#include "cache/follower.hpp"
#include "cache/recording.hpp"
#include "http/message.hpp"
#include "store/store.hpp"
#include "upstream/fetcher.hpp"
#include "util/sha256.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cache {

// A body known by its digest before its bytes, and what names it for one asker.
struct Content {
  util::Sha256 digest;
  std::uint64_t size = 0;
  // Writes the rows that name the blob for this asker, once it is stored and checked (on the
  // fetching thread, or wherever the flight's end is seen). Null: nothing to name.
  std::function<util::Result<void>(const store::BlobReader&)> index;
};

// Where a content's bytes come from.
struct ContentSource {
  upstream::FetchRequest request;
  std::string name;  // for messages: the redacted URL, or "the remote tier s3://..."
  Keep keep = Keep::while_wanted;
  std::function<void(std::uint64_t bytes)> count_bytes;  // what came; null: not counted
  // The source failed this flight (no answer, or a 5xx after the retries); null: not told.
  std::function<void(const util::Error&)> failed;
};

// The key every flight of `digest` shares.
std::string content_key(const util::Sha256& digest);

// The blob of `content` if the store holds it (its digest, its size), named for this asker
// through content.index (a failure is noted as `name`'s); null otherwise.
std::shared_ptr<const store::BlobReader> stored_content(store::Store& store, Recording& recording,
                                                        const Content& content, const std::string& name);

struct Filling {
  // The blob, already stored (before or while this asker looked): named for it, no fetch.
  std::shared_ptr<const store::BlobReader> stored;
  // Else the asker's hold on the flight; null (and no `stored`) when the fetch queue is full.
  std::shared_ptr<Follower> follower;
};

// The content from the store if it holds the digest; else joins the flight of `content` or
// starts one from `source`, and follows it as `client`. An asker that joins names the blob
// when the flight ends whole; the one that starts it, when it commits.
Filling fill_content(Fetches& fetches, store::Store& store, Recording& recording,
                     const Content& content, ContentSource source, const Client& client);

// The response for a content being filled: `status` and `headers` as this asker knows them,
// the body following the flight. It waits for the source's answer first: a source that lost
// the content or refuses us is a 502 naming `what` (the request), never a body; or, with
// `refused`, answered by it (the route asks another way).
void respond_filling(const std::shared_ptr<Follower>& follower, int status, util::Headers headers,
                     std::string cache_result, util::Metrics& metrics, const Notice& notice,
                     const std::string& what, http::Respond respond,
                     std::function<void(const http::Respond&)> refused = {});

} // namespace cache
