#include "engine/validate.hpp"

#include "engine/cdn_hosts.hpp"
#include "util/file.hpp"

namespace engine {

tl::expected<Validated, OpenError> validate(const Options& options) {
  const auto usage = [](std::string message) {
    return tl::unexpected(OpenError{OpenError::Kind::usage, std::move(message)});
  };
  Validated out;
  auto upstream_url = upstream::parse_url(options.upstream);
  if (!upstream_url) return usage("--upstream: " + upstream_url.error().message);
  out.upstream = *upstream_url;
  const auto listen = parse_listen(options.listen);
  if (!listen) return usage("--listen: '" + options.listen + "' is not HOST:PORT");
  out.listen = *listen;

  if (!options.lock.empty()) {
    if (options.mode != cache::Mode::replay) {
      return usage("--lock needs --mode replay (see --help; to fetch a lock, use "
                   "'hubcache preload --lock')");
    }
    auto text = util::read_small_file(options.lock);
    if (!text) return usage("--lock: " + text.error().message);
    auto parsed = hub::parse_lockfile(*text, options.lock);
    if (!parsed) {
      // The first line: the whole list of a lock's faults is `hubcache lock`'s to print.
      const auto& message = parsed.error().message;
      return usage(message.substr(0, message.find('\n')));
    }
    out.lock = std::make_shared<const hub::Lockfile>(std::move(*parsed));
  }

  auto viewer = dataset_viewer(out.upstream, options.dataset_viewer);
  if (!viewer) return usage("--dataset-viewer: " + viewer.error().message);
  out.viewer = *viewer;
  return out;
}

} // namespace engine
