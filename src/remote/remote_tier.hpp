// The remote tier a node reads: a hubcache bucket (bucket_layout.hpp) behind a Backend
// (backend.hpp; S3 first), with what a node asks often kept in memory (immutable rows for
// good, refs and absences for --remote-ttl), and the figures per tier. Nodes only read;
// publish.hpp writes.
//
// A failing backend is marked and skipped, like ccache's Storage::mark_backend_as_failed:
// when a request fails for the backend itself (Backend's contract: transport, timeout, 5xx
// after the retries; never a 404 or a refusal), every request for the next cool-down
// (RemoteOptions::cool_down, 30 s; --remote-cool-down, which defaults to --remote-ttl; zero
// turns it off) fails at once with Errc::upstream_unreachable "the remote tier ... is
// unavailable" without asking it, and callers fall back as for any failure of the bucket.
// After the cool-down one request is let through (the others still skipped until it
// answers); it fails again (marked again) or the tier is back. One notice line when the
// tier is marked failed, one when it answers again. Metrics: hubcache_remote_backend_failed,
// a gauge that is 1 from the marking until it answers again (0 otherwise), and
// hubcache_remote_backend_failed_total, a counter of the times it was marked failed (the first
// failure of an outage and every failed re-ask).
//
// Concurrent lookups of one row (or one commit's listing) share one request (issue 18): the
// second asker waits for the first's answer (hubcache_remote_lookups_shared_total counts
// them). A caller that must not wait at all (a server's thread) asks knows_ref() or
// knows_exchange() first, and hands the request to a lookup thread when they say no
// (cache/lookups.hpp).
#pragma once

#include "remote/backend.hpp"
#include "remote/s3_client.hpp"
#include "store/store.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"
#include "util/single_flight.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace remote {

struct RemoteOptions {
  std::string url;       // s3://BUCKET/PREFIX
  std::string endpoint;  // --s3-endpoint; empty: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS
  std::string ca_file;   // for an https endpoint with a private CA
  // How long a ref (branch → commit) and "not in the bucket" are believed before asking again.
  std::chrono::milliseconds ttl{30'000};
  // How long a backend that failed is skipped (--remote-cool-down); zero: never skipped.
  std::chrono::milliseconds cool_down{k_default_cool_down};

  static constexpr std::chrono::milliseconds k_default_cool_down{30'000};
};

// Opens the S3 client for --remote/--s3-endpoint with the process's AWS credentials, found
// and renewed as the SDKs do (credential_chain.hpp), and the endpoint as aws_endpoints.hpp
// takes it.
util::Result<std::unique_ptr<S3Client>> open_s3(const RemoteOptions& options, S3Options s3 = {});

// Safe from any thread.
class RemoteTier {
public:
  using Notice = std::function<void(const std::string&)>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `notice`: where the two lines about marking go (null: nowhere). `clock`: steady time, a
  // fake one in tests.
  RemoteTier(std::unique_ptr<Backend> backend, RemoteOptions options, util::Metrics& metrics,
             Notice notice = {}, Clock clock = std::chrono::steady_clock::now);
  // An S3 tier (through S3Backend), whose client() writers and the opening probe use.
  RemoteTier(std::unique_ptr<S3Client> client, RemoteOptions options, util::Metrics& metrics,
             Notice notice = {});

  util::Result<std::optional<store::Ref>> find_ref(store::RepoType type, const store::RepoId& repo_id,
                                                   const store::Revision& name);
  // The credential in `key` is ignored: the bucket has one answer for everyone.
  util::Result<std::optional<store::HubObject>> find_file(const store::HubObjectKey& key);
  util::Result<std::optional<store::Exchange>> find_exchange(const std::string& key);
  // Every file of a commit, path order. A key or row that does not validate (someone else
  // wrote the bucket) is left out and counted as an error; a failed request is an error.
  util::Result<std::vector<store::HubObject>> files_at(store::RepoType type, const store::RepoId& repo_id,
                                                       const store::CommitId& commit);
  // Every ref in the bucket.
  util::Result<std::vector<store::Ref>> refs();

  // Whether find_ref() (find_exchange()) would answer now without asking the backend: from
  // memory for at least another second, or at once because the backend is being skipped.
  bool knows_ref(store::RepoType type, const store::RepoId& repo_id, const store::Revision& name) const;
  bool knows_exchange(const std::string& key) const;

  // The GET of a blob for the upstream fetcher: the body streamed into a local blob.
  upstream::FetchRequest blob_request(const util::Sha256& digest) const;
  // Copies blob `digest` into `store` now, checked against its name and `size`; returns it
  // pinned. For small bodies (recorded answers); large ones stream (cache/content_fill.hpp).
  util::Result<store::BlobReader> pull_blob(store::Store& store, const util::Sha256& digest,
                                            std::uint64_t size);
  // Reads bytes of a blob straight from the bucket (a mount's read ahead of its fill).
  util::Result<std::size_t> read_blob_range(const util::Sha256& digest, std::uint64_t offset,
                                            std::span<std::uint8_t> out);

  // Counts bytes that came from the bucket into this node (a fill done by the fetcher).
  void count_bytes(std::uint64_t bytes);
  // The S3 client of a tier made from one (writers, the probe); for no other tier.
  const S3Client& client() const { return *m_s3; }
  std::string describe() const { return m_backend->describe(); }
  // Whether the backend is being skipped now (marked failed, cool-down not over).
  bool skipping() const;
  // A request made for this tier outside it failed (a blob fill, which the fetcher runs:
  // cache/remote_source.hpp): an outage marks the backend as its own requests' do.
  void report(const util::Error& error);

private:
  // Runs one backend request (`asked` says whether it did) unless the backend is skipped;
  // marks it failed on an outage, or back when it answers.
  template <typename T, typename Call> util::Result<T> ask(bool& asked, Call&& call);
  // The error of a skipped request, or nullopt to ask (`reask`: as the one request let
  // through after a cool-down).
  std::optional<util::Error> skip_now(bool& reask);
  // Marks the backend after an answer (`error` null: a success).
  void judge(const util::Error* error, bool reask);

  // A GET of a small row, timed and counted; nullopt on 404. Shared with a GET of the same
  // row under way.
  util::Result<std::optional<std::string>> get_row(const std::string& key);
  // The row from memory, if it is believed now (`margin`: and for that much longer).
  std::optional<std::optional<std::string>> cached_row(const std::string& key,
                                                       std::chrono::steady_clock::duration margin = {}) const;
  bool knows_row(const std::string& key) const;
  util::Result<std::vector<store::HubObject>> list_files(store::RepoType type, const store::RepoId& repo_id,
                                                         const store::CommitId& commit,
                                                         const std::string& prefix);
  bool fresh(std::chrono::steady_clock::time_point at) const;
  void count_request(std::chrono::steady_clock::time_point started);  // one request, timed

  std::unique_ptr<Backend> m_backend;
  const S3Client* m_s3 = nullptr;  // m_backend's client, for an S3 tier
  RemoteOptions m_options;
  Notice m_notice;
  Clock m_clock;
  util::Metrics& m_metrics;
  util::Counter& m_requests;
  util::Counter& m_request_ms;
  util::Counter& m_errors;
  util::Counter& m_bytes;
  util::Counter& m_marked_failed;
  util::Counter& m_shared;
  std::shared_ptr<std::atomic<bool>> m_failed_now;  // the gauge's value: m_failing

  // The backend's health (under m_health_mutex).
  mutable std::mutex m_health_mutex;
  bool m_failing = false;  // marked failed and not answered since
  std::chrono::steady_clock::time_point m_skip_until{};
  bool m_reasking = false;  // the one request let through after a cool-down is out
  std::string m_failure;    // why it was marked, for the skipped requests' message

  struct CachedRow {
    std::optional<std::string> body;  // nullopt: not in the bucket
    std::chrono::steady_clock::time_point at;
  };
  mutable std::mutex m_mutex;
  std::map<std::string, CachedRow> m_rows;  // bounded: cleared when it grows past a limit
  struct CachedListing {
    std::vector<store::HubObject> files;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, CachedListing> m_listings;  // files_at, for the TTL
  // Requests under way, each asked once however many wait for it.
  util::SingleFlight<util::Result<std::optional<std::string>>> m_row_flights{[this] { m_shared.add(); }};
  util::SingleFlight<util::Result<std::vector<store::HubObject>>> m_listing_flights{[this] { m_shared.add(); }};
};

// A local lookup missed: brings what the bucket knows under exchange `key` into `store`
// (its body included), filed under `key` itself. True if it is there now.
util::Result<bool> pull_exchange(store::Store& store, RemoteTier& remote, const std::string& key);

} // namespace remote
