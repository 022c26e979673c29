#include "cache/credentials.hpp"

#include "cache/exchange_key.hpp"
#include "upstream/signed_url.hpp"
#include "util/hex.hpp"

#include <random>
#include <stdexcept>
#include <vector>

namespace cache {

namespace {

std::string random_hex(std::size_t bytes) {
  std::random_device device;
  std::vector<std::uint8_t> data(bytes);
  for (auto& b : data) b = static_cast<std::uint8_t>(device());
  return util::to_hex(data);
}

} // namespace

CredentialScopes::CredentialScopes(store::Store& store) {
  auto salt = store.index().meta_or_insert("credential_salt", random_hex(32));
  if (!salt) throw std::runtime_error(salt.error().message);
  m_salt = *salt;
}

std::string CredentialScopes::of(std::string_view authorization, std::string_view cookie) const {
  return credential_scope(m_salt, authorization, cookie);
}

std::string CredentialScopes::of(const http::Request& request, const upstream::Url& url) const {
  return credential_scope(m_salt, request.header("Authorization").value_or(""),
                          request.header("Cookie").value_or(""), upstream::secret_params(url.query));
}

std::string CredentialScopes::of(const http::Request& request) const {
  return credential_scope(m_salt, request.header("Authorization").value_or(""),
                          request.header("Cookie").value_or(""));
}

} // namespace cache
