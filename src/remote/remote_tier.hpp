// The remote tier a node reads: a hubcache bucket (bucket_layout.hpp) behind an S3 client,
// with what a node asks often kept in memory (immutable rows for good, refs and absences
// for --remote-ttl), and the figures per tier. Nodes only read; publish.hpp writes.
#pragma once

#include "remote/s3_client.hpp"
#include "store/store.hpp"
#include "util/metrics.hpp"
#include "util/result.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace remote {

struct RemoteOptions {
  std::string url;       // s3://BUCKET/PREFIX
  std::string endpoint;  // --s3-endpoint; empty: AWS
  std::string ca_file;   // for an https endpoint with a private CA
  // How long a ref (branch → commit) and "not in the bucket" are believed before asking again.
  std::chrono::milliseconds ttl{30'000};
};

// Opens the S3 client for --remote/--s3-endpoint with the process's AWS credentials.
util::Result<std::unique_ptr<S3Client>> open_s3(const RemoteOptions& options, S3Options s3 = {});

// Safe from any thread.
class RemoteTier {
public:
  RemoteTier(std::unique_ptr<S3Client> client, RemoteOptions options, util::Metrics& metrics);

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
  const S3Client& client() const { return *m_client; }
  std::string describe() const { return m_client->location().to_string(); }

private:
  // A GET of a small row, timed and counted; nullopt on 404.
  util::Result<std::optional<std::string>> get_row(const std::string& key);
  bool fresh(std::chrono::steady_clock::time_point at) const;
  void count_request(std::chrono::steady_clock::time_point started);  // one request, timed

  std::unique_ptr<S3Client> m_client;
  RemoteOptions m_options;
  util::Metrics& m_metrics;
  util::Counter& m_requests;
  util::Counter& m_request_ms;
  util::Counter& m_errors;
  util::Counter& m_bytes;

  struct CachedRow {
    std::optional<std::string> body;  // nullopt: not in the bucket
    std::chrono::steady_clock::time_point at;
  };
  std::mutex m_mutex;
  std::map<std::string, CachedRow> m_rows;  // bounded: cleared when it grows past a limit
  struct CachedListing {
    std::vector<store::HubObject> files;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, CachedListing> m_listings;  // files_at, for the TTL
};

// A local lookup missed: brings what the bucket knows under exchange `key` into `store`
// (its body included), filed under `key` itself. True if it is there now.
util::Result<bool> pull_exchange(store::Store& store, RemoteTier& remote, const std::string& key);

} // namespace remote
