// The scope a request's credentials give the entries it records (DESIGN.md: credentials are
// forwarded, never stored; what one fetched is replayed only to the same credential).
#pragma once

#include "http/message.hpp"
#include "upstream/url.hpp"
#include "store/store.hpp"

#include <string>

namespace cache {

// Immutable after construction, so safe from any thread.
class CredentialScopes {
public:
  // Loads the store's salt, creating it on first use. Throws std::runtime_error if the store
  // cannot be read (a start-up failure).
  explicit CredentialScopes(store::Store& store);

  // A salted hash of the request's Authorization and Cookie headers, or "" without either.
  std::string of(const http::Request& request) const;
  // The same, with the secret parameters of `url` if it is presigned (issue 14: an answer
  // fetched with a signature is served only to that signed URL).
  std::string of(const http::Request& request, const upstream::Url& url) const;
  // The same for these header values (a client of the engine's own, like preload).
  std::string of(std::string_view authorization, std::string_view cookie) const;

private:
  std::string m_salt;
};

} // namespace cache
