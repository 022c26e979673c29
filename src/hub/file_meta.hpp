// What a resolve answer says about a file (commit, etag, size, LFS), and the headers hubcache
// sends for a file it holds: those the Hub sends on a 200, without Xet (hf-protocol.md §1.7).
#pragma once

#include "store/entry.hpp"
#include "upstream/fetcher.hpp"
#include "util/headers.hpp"

#include <optional>
#include <string>

namespace hub {

struct FileMeta {
  store::CommitId commit;  // X-Repo-Commit
  store::Etag etag;        // normalized: LFS sha256, or the git blob sha1
  std::uint64_t size = 0;
  bool lfs = false;
};

// Reads the metadata of a successful resolve (a 200, possibly after the CDN redirect, whose
// hop carries X-Linked-*). std::nullopt if it is not there (an origin that is not a Hub), or
// if a value does not validate (a commit that is not 40 hex digits, an ETag that is not one
// token: they become file names in an export and header lines in every answer).
std::optional<FileMeta> file_meta(const upstream::ResponseHead& head);

// The headers of a 200 for `object`: X-Repo-Commit, ETag, Content-Type, and for LFS files
// X-Linked-Etag and X-Linked-Size. Length and ranges are the server's.
util::Headers file_headers(const store::HubObject& object);

} // namespace hub
