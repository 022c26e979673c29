#include "remote/s3_backend.hpp"

namespace remote {

S3Backend::S3Backend(std::unique_ptr<S3Client> client) : m_client(std::move(client)) {}

util::Result<std::optional<std::string>> S3Backend::get(const std::string& key, std::uint64_t limit) {
  return m_client->get(key, limit);
}

util::Result<bool> S3Backend::get_to(
    const std::string& key, const std::function<util::Result<void>(std::span<const std::uint8_t>)>& sink) {
  return m_client->get_to(key, sink);
}

util::Result<std::size_t> S3Backend::get_range(const std::string& key, std::uint64_t offset,
                                               std::span<std::uint8_t> out) {
  return m_client->get_range(key, offset, out);
}

util::Result<std::optional<RemoteObject>> S3Backend::head(const std::string& key) {
  return m_client->head(key);
}

util::Result<PutOutcome> S3Backend::put(const std::string& key, std::string_view bytes, bool if_absent,
                                        const std::string& content_type) {
  return m_client->put(key, bytes, if_absent, content_type);
}

util::Result<std::vector<RemoteObject>> S3Backend::list(const std::string& prefix) {
  return m_client->list(prefix);
}

upstream::FetchRequest S3Backend::fetch_request(const std::string& key) const {
  return m_client->fetch_request(key);
}

std::string S3Backend::describe() const { return m_client->location().to_string(); }

std::string S3Backend::url_of(const std::string& key) const { return m_client->url_of(key); }

} // namespace remote
