// An engine's options checked before anything is opened: a usage error is reported before
// the store, the log or the bucket is touched.
#pragma once

#include "engine/listen.hpp"
#include "engine/open_error.hpp"
#include "engine/options.hpp"
#include "hub/lockfile.hpp"
#include "upstream/url.hpp"

#include <memory>

#include <tl/expected.hpp>

namespace engine {

struct Validated {
  upstream::Url upstream;
  upstream::Url viewer;  // see cdn_hosts.hpp's dataset_viewer()
  ListenAddress listen;
  std::shared_ptr<const hub::Lockfile> lock;  // null without --lock
};

// Parses --upstream, --listen, --lock (read and parsed: it needs --mode replay) and
// --dataset-viewer, in that order. Every error is OpenError::Kind::usage, naming the flag.
tl::expected<Validated, OpenError> validate(const Options& options);

} // namespace engine
