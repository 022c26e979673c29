// How the engine tells the operator something (a bucket unreachable, a body refused): one
// "hubcache: LINE" on stderr.
#pragma once

#include <string>

namespace engine {

// Prints "hubcache: `line`", with any byte that is not printable UTF-8 escaped (a notice
// names outside input: a URL, an upstream's error). Safe from any thread: lines never mix.
void print_notice(const std::string& line);

} // namespace engine
