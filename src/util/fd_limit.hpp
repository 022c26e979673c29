// The process's descriptor limit (RLIMIT_NOFILE), raised as far as it may go.
#pragma once

#include <cstdint>

namespace util {

// Raises the soft limit on open descriptors to the hard limit (the soft default, often
// 1024, is far below what a server with many clients and fetches needs) and returns the
// soft limit now in effect. Never fails: if it cannot be raised, the current one is returned.
std::uint64_t raise_descriptor_limit();

} // namespace util
