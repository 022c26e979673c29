// The Hub mirror: answers /resolve from the Hub object model (a file learned through `main`
// is served through its commit and the reverse), and /api listings from recordings or, in
// replay, from the files known at a commit. Everything else goes to the generic mirror.
// Start here to see how a Hub request becomes a hit, a fetch or a miss.
#pragma once

#include "cache/cache.hpp"
#include "cache/credentials.hpp"
#include "cache/fetches.hpp"
#include "cache/mode.hpp"
#include "cache/tiers.hpp"
#include "http/router.hpp"
#include "hub/hot_lookups.hpp"
#include "hub/lockfile.hpp"
#include "hub/target.hpp"
#include "store/store.hpp"
#include "upstream/url.hpp"
#include "util/metrics.hpp"

#include <memory>
#include <string>

namespace hub {

struct HubOptions {
  cache::Mode mode = cache::Mode::record;
  // Serve what was fetched with one credential to requests with another or none.
  bool share_private = false;
  std::string record_hint = "run hubcache with --mode record while online";
  // Replay under a lockfile: branches resolve to the lock's commits and only its files are
  // served; listings are made from it. Null: no lock.
  std::shared_ptr<const Lockfile> lock;
  std::string lock_path;
  // The remote tier asked on a local miss, before the upstream; its refs win over the
  // local ones (the refresh job moves them). Null: none.
  remote::RemoteTier* remote = nullptr;
  // Where a request that waits on the remote tier waits (cache/tiers.hpp); null: where it is.
  cache::Lookups* lookups = nullptr;
  // How many files, and how many listings, hits may keep open (hot_lookups.hpp): shares of
  // the descriptor budget.
  std::size_t hot_files = 2'500;
  std::size_t hot_listings = 2'500;
};

// Safe from any thread.
class HubRoutes {
public:
  HubRoutes(HubOptions options, store::Store& store, cache::Fetches& fetches,
            const cache::CredentialScopes& scopes, util::Metrics& metrics, cache::Notice notice,
            upstream::Url upstream);

  void handle(const http::Request& request, const Target& target, http::Respond respond);

private:
  struct Known;
  struct HotAnswer;
  // `head_only`: a recorded HEAD's answer will do too.
  Known find_known(const FileTarget& target, const std::string& scope,
                   const std::optional<store::CommitId>& commit, bool head_only = false);
  // `trust_recorded`: a file whose LFS content the store knows is fetched by that content
  // (false once that content turned out stale: the Hub names other bytes now).
  void resolve(const http::Request& request, const FileTarget& target, http::Respond respond,
               bool trust_recorded = true);
  void api(const http::Request& request, const Target& target, http::Respond respond);
  void record_resolve(cache::InFlight& flight, const upstream::ResponseHead& head,
                      const FileTarget& target, const std::string& scope, const std::string& url,
                      std::int64_t upstream_ms);
  void record_head(cache::InFlight& flight, const upstream::ResponseHead& head,
                   const FileTarget& target, const std::string& scope, const std::string& url,
                   std::int64_t upstream_ms);
  void record_api(cache::InFlight& flight, const upstream::ResponseHead& head,
                  const std::string& method, const std::string& url, const Target& target,
                  const std::string& scope, std::int64_t upstream_ms);
  // Records the commit's complete file list when `body`, recorded for `target`, names it
  // (commit_listing.hpp). Failures are noted, never the client's.
  void learn_listing(const store::BlobReader& body, const upstream::ResponseHead& head,
                     const std::string& url, const Target& target, const std::string& scope);
  // The remote tier's answer, if it knows the file or the Hub's answer.
  // `what`: the request, for a failure's message.
  bool from_remote(const FileTarget& target, const std::string& scope,
                  const std::optional<store::CommitId>& commit, bool head_only,
                  const std::string& what, const cache::Client& client, const http::Respond& respond);
  // A stored exchange, pulled from the remote tier on a local miss (`pulled` says so). With
  // `remote_first`, also when the bucket's answer differs from the local one.
  util::Result<std::optional<store::Found<store::Exchange>>> open_exchange(const std::string& key,
                                                                          bool* pulled = nullptr,
                                                                          bool remote_first = false);
  // The answer for `object`, its bytes fetched once for every name (file_content.hpp).
  cache::KnownContent known_content(const store::HubObject& object, cache::ContentSource source);
  http::Response resolved(const std::shared_ptr<cache::Follower>& follower,
                          const upstream::ResponseHead& head, const FileTarget& target,
                          bool head_only);
  http::Response gated(store::RepoType type, const store::RepoId& repo_id);
  http::Response unrecorded(const http::Request& request, const FileTarget& target,
                            const std::string& scope, const std::optional<store::CommitId>& commit);
  bool known_only_elsewhere(const FileTarget& target, const std::string& scope,
                            const std::optional<store::CommitId>& commit);
  http::Response entry_not_found(const FileTarget& target, const store::CommitId& commit);
  http::Response api_answer(int status, const util::Headers& headers, const std::string& body,
                            const http::Request& request, const std::string& upstream_origin,
                            std::string cache_result);
  std::optional<http::Response> synthesized(const http::Request& request, const Target& target,
                                            const std::string& scope);
  // A stored /api answer as it goes out, without its cache label.
  util::Result<http::Response> stored_answer(const store::Found<store::Exchange>& found,
                                             const http::Request& request);
  std::string hot_answer_key(const std::string& key, const http::Request& request);
  // Whether the answer to `key` kept in memory is what the remote tier has too.
  bool kept_answer_is_the_buckets(const std::string& key, const http::Request& request);
  // The stored answer to the /api question `key`, as `request` is to get it (its Links point
  // at the origin it addressed), made once and kept while the exchanges stay as they were.
  std::optional<cache::StoredAnswer> stored_api_answer(const std::string& key, const http::Request& request,
                                                       const std::string& what);
  // Whether commit_of() answers without waiting on the bucket on this thread.
  bool ref_answers_here(store::RepoType type, const store::RepoId& repo_id,
                        const store::Revision& revision) const;
  std::optional<store::CommitId> commit_of(store::RepoType type, const store::RepoId& repo_id,
                                           const store::Revision& revision,
                                           const std::string& scope);
  std::string answer_key(const FileTarget& target, std::string_view revision,
                         const std::string& scope) const;
  store::CredentialMatch match() const;

  HubOptions m_options;
  store::Store& m_store;
  cache::Fetches& m_fetches;
  const cache::CredentialScopes& m_scopes;
  util::Metrics& m_metrics;
  cache::Notice m_notice;
  upstream::Url m_upstream;
  cache::Tiers m_tiers;
  HotLookups m_hot;
  cache::HotEntries<std::shared_ptr<const HotAnswer>> m_hot_answers;
};

// A handler sending Hub targets to `hub` and everything else to `exchanges`, the generic
// mirror of `upstream`. Both must outlive it.
http::Handler hub_handler(HubRoutes& hub, cache::Cache& exchanges, upstream::Url upstream);

// Makes hub_handler() the router's fallback.
void install_hub(http::Router& router, HubRoutes& hub, cache::Cache& exchanges,
                 upstream::Url upstream);

} // namespace hub
