// Why an engine (or a preload, or a mount) could not start, and whose fault it was.
#pragma once

#include <string>

namespace engine {

struct OpenError {
  // usage: the options are wrong (a bad --upstream, --listen, --lock; the CLI exits 2);
  // failure: the options are fine but something failed (the store, the bucket; exit 1).
  enum class Kind { usage, failure };
  Kind kind = Kind::failure;
  std::string message;  // one line for people, naming the flag when it is a usage error
};

} // namespace engine
