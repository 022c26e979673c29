// The remote tier as a source of content (content_fill.hpp): a blob's GET from the bucket,
// run to its end whoever leaves (the next reader wants the blob too, and the bucket is ours),
// its bytes counted as the remote tier's, its failures marking the tier as its own requests'.
#pragma once

#include "cache/content_fill.hpp"
#include "remote/remote_tier.hpp"

namespace cache {

ContentSource remote_source(remote::RemoteTier& remote, const util::Sha256& digest);

} // namespace cache
