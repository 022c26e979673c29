// The one error convention below the HTTP edge (STYLE.md, "Errors"): functions return
// Result<T>; a normal absence is a std::optional inside it, never an error.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace util {

// Kinds stay few and closed, like LevelDB's Status: callers switch on them, people read `message`.
enum class Errc {
  io,                   // the file system failed (ENOSPC, EACCES, EIO, ...)
  corrupt,              // stored data does not match what it claims (hash, size, schema)
  invalid_argument,     // the caller passed something malformed
  unsupported,          // e.g. a store written by a newer hubcache
  upstream_status,      // the upstream answered with an error status
  upstream_unreachable, // connection refused, DNS, TLS
  timeout,
  offline_miss, // replay mode asked for something not recorded
};

struct Error {
  Errc code;
  std::string message; // one line for people: what is wrong and, where known, what to do
};

template <typename T> using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected(Error{code, std::move(message)});
}

// "what: strerror(errno)" as an Errc::io error; reads errno at the call.
tl::unexpected<Error> fail_errno(const std::string& what);

// Returns `error` with `context: ` put before its message.
Error with_context(Error error, const std::string& context);

} // namespace util
