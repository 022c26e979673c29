// Runs a bounded batch of S3 calls on a few threads: the publisher's and the uploader's pool.
#pragma once

#include "util/result.hpp"

#include <cstddef>
#include <functional>

namespace remote {

// Runs `work(i)` for every i in [0, count) on `jobs` threads (this one included). The first
// error stops the rest from starting and is returned.
util::Result<void> run_parallel(std::size_t count, int jobs,
                                const std::function<util::Result<void>(std::size_t)>& work);

} // namespace remote
