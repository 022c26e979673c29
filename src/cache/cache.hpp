// The generic mirror's recorded exchanges: a request becomes a Question for the tiers
// (tiers.hpp) keyed by method, URL, credential scope and variant, recorded literally. It
// answers with plain values; the HTTP layer turns them into bytes.
#pragma once

#include "cache/credentials.hpp"
#include "cache/fetches.hpp"
#include "cache/hot_entries.hpp"
#include "cache/mode.hpp"
#include "cache/tiers.hpp"
#include "http/message.hpp"
#include "remote/remote_tier.hpp"
#include "store/store.hpp"
#include "upstream/fetcher.hpp"
#include "util/metrics.hpp"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cache {

struct CacheOptions {
  Mode mode = Mode::record;
  std::vector<std::string> ignored_query;  // parameter names left out of keys
  // How to record a miss, for the replay-mode message: "hubcache serve --mode record ...".
  std::string record_hint = "run hubcache with --mode record while online";
  // Replay under a lockfile: only these keys (GETs of its URLs, as exchange_key() makes
  // them) are answered; null: no lock.
  std::shared_ptr<const std::set<std::string>> locked_keys;
  std::string lock_path;
  // The remote tier asked on a local miss, before the upstream; null: none.
  remote::RemoteTier* remote = nullptr;
  // Where a request that waits on the remote tier waits (tiers.hpp); null: where it is.
  Lookups* lookups = nullptr;
  // --share-private: an answer fetched through a presigned URL is served to any signature
  // of that URL (by default only to the same signed URL).
  bool share_private = false;
  // Stored entries kept open for hot hits: each holds a descriptor, so this is a share of
  // the descriptor limit (see engine/engine.cpp), never more.
  std::size_t hot_entries = 10'000;
};

// Safe from any thread. Fetches run on the fetch pool (see Fetches).
class Cache {
public:
  Cache(CacheOptions options, store::Store& store, Fetches& fetches,
        const CredentialScopes& scopes, util::Metrics& metrics, Notice notice);

  // Answers a GET or HEAD of `url` (the upstream URL the request maps to), calling `respond`
  // once. Credentials in `request` are forwarded upstream and scope the key, never stored.
  void handle(const http::Request& request, const upstream::Url& url, http::Respond respond);

  // Whether the local store holds an exchange recorded from `origin`'s scheme, host and port
  // (its path and query are not looked at): an origin replay may open a CONNECT tunnel to.
  // Cheap (a range scan of the index); a store error counts as no.
  bool holds_origin(const upstream::Url& origin);

  Mode mode() const { return m_options.mode; }
  const CacheOptions& options() const { return m_options; }

private:
  // An entry with its body open and pinned, shared by the responses that send it.
  struct Stored {
    std::shared_ptr<const store::Exchange> entry;
    std::shared_ptr<const store::BlobReader> body;  // null: no body
  };
  // Commits against the upstream's own claims; the clients' expectations decide only what
  // each of them gets, and whether the answer is indexed (see InFlight::commit()).
  void record(InFlight& flight, const upstream::ResponseHead& head, const std::string& method,
              const std::string& url, std::int64_t upstream_ms);
  std::optional<Stored> lookup(const std::string& key, const std::string& fallback_key);
  // The remote tier's answer for `key` (or `fallback_key`), if it has one.
  bool from_remote(const std::string& key, const std::string& fallback_key, bool head_only,
                   const std::string& what, const Client& client, const http::Respond& respond);
  http::Response from_store(const Stored& stored, std::string cache_result);
  http::Response from_upstream(const std::shared_ptr<Follower>& follower,
                               const upstream::ResponseHead& head, bool head_only);

  CacheOptions m_options;
  store::Store& m_store;
  Fetches& m_fetches;
  const CredentialScopes& m_scopes;
  util::Metrics& m_metrics;
  Notice m_notice;
  HotEntries<Stored> m_hot;
  Tiers m_tiers;
};

// Whether an upstream answer is recorded: everything but server errors, throttling,
// timeouts and partial content. A 404 is knowledge too (clients probe for files).
bool is_storable_status(int status);

// The upstream's end-to-end headers, minus cookies it set for whoever was recording.
util::Headers recordable_headers(const util::Headers& headers);

// The sha256 an upstream vouched for (the Hub's X-Linked-Etag of an LFS file), on the final
// answer or on a redirect on the way there.
std::optional<util::Sha256> announced_sha256(const upstream::ResponseHead& head);

} // namespace cache
