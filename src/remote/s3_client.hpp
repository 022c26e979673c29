// A small S3 client on the HTTP client box (upstream/http_client.hpp): path-style addressing
// (any S3 API: Ceph, MinIO, AWS, R2, GCS), signed with CURLOPT_AWS_SIGV4 following the rules
// curl 7.88 needs (test-infra.md §1.1: the payload hash sent as a header, the query canonical
// and sorted, uploads through a read callback). Keys are relative to the location's prefix.
#pragma once

#include "remote/aws_credentials.hpp"
#include "remote/backend.hpp"
#include "remote/credential_provider.hpp"
#include "upstream/fetcher.hpp"
#include "upstream/http_client.hpp"
#include "upstream/url.hpp"
#include "util/result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace remote {

// s3://BUCKET/PREFIX at an endpoint.
struct S3Location {
  upstream::Url endpoint;  // scheme://host[:port], path "/"
  std::string bucket;
  std::string prefix;  // "" or ending in '/'

  std::string to_string() const;  // s3://bucket/prefix
};

// Parses "s3://BUCKET[/PREFIX]". `endpoint`: the S3 API's URL (--s3-endpoint); empty means
// AWS in `region`. Errc::invalid_argument with a one-line reason.
util::Result<S3Location> parse_s3_location(std::string_view url, std::string_view endpoint,
                                           const std::string& region);

// An object as a listing or HEAD names it (key relative to the prefix).
using S3Object = RemoteObject;

struct S3Options {
  std::string ca_file;  // trust these CAs for an https endpoint; empty: the system's
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{300'000};  // a whole small request
  int retries = 2;  // extra tries after a broken connection, a 429 or a 5xx (the RetryPolicy)
  // The process's stop signal: a wait between tries ends at once when it is raised. Null:
  // waits are never cut short. Outlives the client.
  util::StopSignal* stop = nullptr;
};

// Safe from any thread: each call uses a handle of its own. A 5xx still there after the
// retries is Errc::upstream_unreachable (the bucket is not serving; Backend's contract),
// other refusals Errc::upstream_status. Every request is signed with the provider's current()
// credentials, so a process outlives the first ones; when there are none, the request fails
// with the provider's error ("credentials (web identity role …): …") before anything is sent.
class S3Client {
public:
  // Credentials that never change, in `credentials.region`.
  S3Client(S3Location location, AwsCredentials credentials, S3Options options = {});
  // Credentials from `credentials` (shared: the client keeps it alive), in `region`.
  S3Client(S3Location location, std::shared_ptr<CredentialProvider> credentials, const std::string& region,
           S3Options options = {});

  // A small object, whole; nullopt if there is none (404). Errc::invalid_argument if it is
  // larger than `limit`.
  util::Result<std::optional<std::string>> get(const std::string& key,
                                              std::uint64_t limit = 64ull << 20) const;
  // Streams an object to `sink`; false if there is none. A sink error aborts.
  util::Result<bool> get_to(const std::string& key,
                            const std::function<util::Result<void>(std::span<const std::uint8_t>)>& sink) const;
  // Bytes [offset, offset + out.size()) of an object into `out`: how many came (less only
  // at the end of the object). Errc::invalid_argument if there is no such object.
  util::Result<std::size_t> get_range(const std::string& key, std::uint64_t offset,
                                      std::span<std::uint8_t> out) const;
  util::Result<std::optional<S3Object>> head(const std::string& key) const;
  // With `if_absent`, the write is conditional (If-None-Match: *): an object already there
  // is left as it is and already_there returned.
  util::Result<PutOutcome> put(const std::string& key, std::string_view bytes, bool if_absent,
                               const std::string& content_type = "application/octet-stream") const;
  util::Result<PutOutcome> put_file(const std::string& key, const std::filesystem::path& file,
                                    bool if_absent) const;
  // Every object under `prefix` (relative), in key order, following continuation tokens.
  util::Result<std::vector<S3Object>> list(const std::string& prefix) const;

  // Asks the bucket for one key under the prefix: fails on wrong credentials, a missing
  // bucket or an unreachable endpoint, each with its own one-line reason.
  util::Result<void> probe() const;

  // A GET of `key` for the upstream fetcher (retries, Range resume, stall watchdog), each try
  // signed with the credentials current() gives then, so a fill of hours outlives its first
  // keys; if current() fails, the last ones, which the bucket then refuses.
  upstream::FetchRequest fetch_request(const std::string& key) const;

  const S3Location& location() const { return m_location; }
  std::string url_of(const std::string& key) const;  // for messages: s3://bucket/prefix/key

private:
  struct Call;
  util::Result<long> perform(Call& call) const;
  util::Result<PutOutcome> put_call(Call& call, bool if_absent, const std::string& content_type) const;
  util::Result<std::string> list_page(const std::string& query) const;

  S3Location m_location;
  std::shared_ptr<CredentialProvider> m_credentials;
  S3Options m_options;
  std::string m_provider;  // "aws:amz:REGION:s3"
  upstream::HttpClient m_http;
};

// The parts of a ListObjectsV2 answer this client uses. Exposed for tests.
struct ListPage {
  std::vector<S3Object> objects;     // keys as the bucket names them
  std::vector<std::string> folders;  // CommonPrefixes
  std::optional<std::string> next_token;
};
util::Result<ListPage> parse_list_page(std::string_view xml);
// "Code: Message" of an S3 error document, or "" if `xml` is not one.
std::string s3_error_text(std::string_view xml);

} // namespace remote
