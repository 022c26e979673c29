#include "engine/notice.hpp"

#include "util/utf8.hpp"

#include <cstdio>
#include <mutex>

namespace engine {

namespace {
std::mutex g_stderr_mutex;
} // namespace

void print_notice(const std::string& line) {
  std::lock_guard lock(g_stderr_mutex);
  std::fprintf(stderr, "hubcache: %s\n", util::printable(line, std::string_view::npos).c_str());
  std::fflush(stderr);
}

} // namespace engine
