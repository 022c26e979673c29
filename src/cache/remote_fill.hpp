// A blob the remote tier holds, brought into the local store while clients read it: one
// fill per blob per process (Fetches), Range-resumed by the fetcher, verified against its
// sha256 and size before anything names it locally.
#pragma once

#include "cache/fetches.hpp"
#include "http/message.hpp"
#include "remote/remote_tier.hpp"
#include "util/metrics.hpp"

#include <functional>
#include <memory>

namespace cache {

// Joins or starts the fill of `digest` (`size` bytes) and follows it as `client`. `index`
// runs on the fetching thread once the blob is committed and pinned, to put the rows that
// name it. A fill runs to its end even if its clients leave (Keep::until_done): the next
// reader wants the blob too, and the bucket is ours. Null if the fetch queue is full.
std::shared_ptr<Follower> start_remote_fill(Fetches& fetches, remote::RemoteTier& remote,
                                            const util::Sha256& digest, std::uint64_t size,
                                            std::function<void(const store::BlobReader&)> index,
                                            util::Metrics& metrics, const Notice& notice,
                                            const Client& client = {});

// The response for a remote hit: `status` and `headers` as recorded, the body following the
// fill. It waits for the bucket's answer first: a bucket that lost the blob or refuses us
// is a 502 naming `what` (the request), never a body; the reason goes to `notice`.
void respond_remote(const std::shared_ptr<Follower>& follower, int status, util::Headers headers,
                    util::Metrics& metrics, const Notice& notice, const std::string& what,
                    http::Respond respond);

} // namespace cache
