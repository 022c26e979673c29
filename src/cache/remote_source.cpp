#include "cache/remote_source.hpp"

namespace cache {

ContentSource remote_source(remote::RemoteTier& remote, const util::Sha256& digest) {
  ContentSource source;
  source.request = remote.blob_request(digest);
  source.name = "the remote tier " + remote.describe();
  source.keep = Keep::until_done;
  source.count_bytes = [&remote](std::uint64_t bytes) { remote.count_bytes(bytes); };
  source.failed = [&remote](const util::Error& error) { remote.report(error); };
  return source;
}

} // namespace cache
