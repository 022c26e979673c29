// A remote backend: one object store a node's remote tier lives in (S3 first; see
// s3_backend.hpp). RemoteTier owns one and is the only thing that asks it, so that a failing
// backend is marked and skipped in one place (remote_tier.hpp). Keys are relative to the
// backend's own root (an S3 prefix, say).
#pragma once

#include "upstream/fetcher.hpp"
#include "util/result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace remote {

struct RemoteObject {
  std::string key;  // relative to the backend's root
  std::uint64_t size = 0;
  std::string etag;
};

enum class PutOutcome { written, already_there };

// Safe from any thread.
//
// The error contract every backend keeps, since RemoteTier judges by it: a failure of the
// backend itself (it cannot be reached, it timed out, it answered 5xx after its retries) is
// Errc::upstream_unreachable or Errc::timeout. Any other code is an answer about that one
// request (refused credentials, a bad row, too large), and a missing object is no error.
class Backend {
public:
  virtual ~Backend() = default;

  // A small object, whole; nullopt if there is none. Errc::invalid_argument if it is larger
  // than `limit`.
  virtual util::Result<std::optional<std::string>> get(const std::string& key, std::uint64_t limit) = 0;
  // Streams an object to `sink`; false if there is none. A sink error aborts.
  virtual util::Result<bool> get_to(
      const std::string& key,
      const std::function<util::Result<void>(std::span<const std::uint8_t>)>& sink) = 0;
  // Bytes [offset, offset + out.size()) of an object: how many came (less only at its end).
  // Errc::invalid_argument if there is no such object.
  virtual util::Result<std::size_t> get_range(const std::string& key, std::uint64_t offset,
                                              std::span<std::uint8_t> out) = 0;
  virtual util::Result<std::optional<RemoteObject>> head(const std::string& key) = 0;
  // With `if_absent`, an object already there is left as it is and already_there returned.
  virtual util::Result<PutOutcome> put(const std::string& key, std::string_view bytes, bool if_absent,
                                       const std::string& content_type) = 0;
  // Every object under `prefix` (relative), in key order.
  virtual util::Result<std::vector<RemoteObject>> list(const std::string& prefix) = 0;

  // A GET of `key` for the upstream fetcher (large bodies stream through its retries and resume).
  virtual upstream::FetchRequest fetch_request(const std::string& key) const = 0;
  // For messages: "s3://bucket/prefix/" and that plus a key.
  virtual std::string describe() const = 0;
  virtual std::string url_of(const std::string& key) const = 0;
};

} // namespace remote
