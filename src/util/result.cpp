#include "util/result.hpp"

#include <cerrno>
#include <cstring>

namespace util {

tl::unexpected<Error> fail_errno(const std::string& what) {
  const int saved = errno;
  return fail(Errc::io, what + ": " + std::strerror(saved));
}

Error with_context(Error error, const std::string& context) {
  error.message = context + ": " + error.message;
  return error;
}

} // namespace util
