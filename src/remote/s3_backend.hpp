// The S3 backend: a hubcache bucket on any S3 API, through S3Client.
#pragma once

#include "remote/backend.hpp"
#include "remote/s3_client.hpp"

#include <memory>

namespace remote {

// Safe from any thread. A 5xx the client still gets after its retries is reported as
// Errc::upstream_unreachable (the Backend contract: the bucket is not serving).
class S3Backend final : public Backend {
public:
  explicit S3Backend(std::unique_ptr<S3Client> client);

  util::Result<std::optional<std::string>> get(const std::string& key, std::uint64_t limit) override;
  util::Result<bool> get_to(const std::string& key,
                            const std::function<util::Result<void>(std::span<const std::uint8_t>)>& sink) override;
  util::Result<std::size_t> get_range(const std::string& key, std::uint64_t offset,
                                      std::span<std::uint8_t> out) override;
  util::Result<std::optional<RemoteObject>> head(const std::string& key) override;
  util::Result<PutOutcome> put(const std::string& key, std::string_view bytes, bool if_absent,
                               const std::string& content_type) override;
  util::Result<std::vector<RemoteObject>> list(const std::string& prefix) override;

  upstream::FetchRequest fetch_request(const std::string& key) const override;
  std::string describe() const override;
  std::string url_of(const std::string& key) const override;

  // The client itself, for writers (publish, export) and the opening probe.
  const S3Client& client() const { return *m_client; }

private:
  std::unique_ptr<S3Client> m_client;
};

} // namespace remote
