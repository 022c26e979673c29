// The one place that builds an engine. The cache, the Hub routes and the fetches are wired
// in open() below only, so a change of their constructors is a change of this file.
#include "engine/engine.hpp"

#include "cache/cache.hpp"
#include "cache/credentials.hpp"
#include "cache/descriptor_budget.hpp"
#include "cache/exchange_key.hpp"
#include "cache/fetches.hpp"
#include "cache/lookups.hpp"
#include "engine/cdn_hosts.hpp"
#include "engine/gauges.hpp"
#include "engine/logs.hpp"
#include "engine/notice.hpp"
#include "engine/remote_tier.hpp"
#include "engine/stats.hpp"
#include "engine/tls_identities.hpp"
#include "engine/validate.hpp"
#include "http/admin.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "hub/routes.hpp"
#include "hubcache/version.hpp"
#include "proxy/forward_route.hpp"
#include "upstream/fetcher.hpp"
#include "upstream/signed_url.hpp"
#include "util/fd_limit.hpp"
#include "util/ndjson_log.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <system_error>
#include <thread>

namespace engine {

// Members in construction order; destroyed in reverse, the server first.
struct Engine::Impl {
  Options options;
  upstream::Url upstream_url;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<util::NdjsonLog> log;
  util::Metrics metrics;
  util::StopSignal stop;
  std::unique_ptr<upstream::Fetcher> fetcher;
  std::unique_ptr<remote::RemoteTier> remote;
  std::optional<cache::CredentialScopes> scopes;
  std::unique_ptr<cache::Fetches> fetches;
  std::unique_ptr<cache::Cache> exchanges;
  std::unique_ptr<hub::HubRoutes> hub;
  http::Router router;
  std::unique_ptr<http::Server> server;
  // After the server and the routes its jobs use: gone first, its queued requests run (their
  // bucket requests cut short by `stop`) while everything they answer through still is.
  std::unique_ptr<cache::Lookups> lookups;
  AccessObserver observer;
  std::shared_ptr<std::atomic<int>> port = std::make_shared<std::atomic<int>>(0);
  std::thread serving;  // start()'s
};

Engine::Engine(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Engine::~Engine() {
  if (m_impl->serving.joinable()) finish();
}
int Engine::port() const { return m_impl->port->load(); }
void Engine::stop() { m_impl->server->stop(); }
std::uint64_t Engine::counter(const std::string& name) const { return m_impl->metrics.value(name); }
std::filesystem::path Engine::store_root() const { return m_impl->store->layout().root(); }

void Engine::serve() {
  // Stopping: the server stops accepting and lets responses in flight finish (fetches
  // included) for up to --drain-timeout; then the fetches still running are aborted.
  m_impl->server->run([] {});
  m_impl->stop.request_stop();
  m_impl->fetches->wait_idle();
}

void Engine::start() {
  m_impl->serving = std::thread([this] { serve(); });
}

void Engine::finish() {
  stop();
  if (m_impl->serving.joinable()) m_impl->serving.join();
}

namespace {

upstream::FetcherOptions fetcher_options(const Options& options, const Validated& valid) {
  upstream::FetcherOptions out;
  out.retry.max_retries = options.retries;
  out.retry.floor = options.retry_floor;
  out.retry.ceiling = options.retry_ceiling;
  out.min_rate = options.min_rate.value_or(1000);
  out.stall_time = std::max(std::chrono::seconds(1),
                            std::chrono::duration_cast<std::chrono::seconds>(options.stall_time));
  out.max_per_host = options.max_upstream_per_host;
  out.allow = fetch_allow_list(options.allow_hosts, valid.upstream, valid.viewer);
  out.user_agent = std::string("hubcache/") + hubcache::k_version;
  out.ca_file = options.upstream_ca;
  return out;
}

http::ServerOptions server_options(const Options& options, const ListenAddress& listen) {
  http::ServerOptions out;
  out.host = listen.host;
  out.port = listen.port;
  out.threads = options.threads;
  out.max_connections = options.max_connections;
  const auto seconds = [](std::chrono::milliseconds ms) {
    return std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(ms));
  };
  out.header_timeout = std::min(std::chrono::seconds(30), seconds(options.client_timeout));
  out.idle_timeout = seconds(options.client_timeout);
  out.write_timeout = seconds(options.client_timeout);
  out.drain_timeout = seconds(options.drain_timeout);
  return out;
}

// Replay under --lock answers only the exchanges the lock names.
std::shared_ptr<const std::set<std::string>> locked_keys(const hub::Lockfile& lock,
                                                         const std::vector<std::string>& ignore_query) {
  auto keys = std::make_shared<std::set<std::string>>();
  for (const auto& locked : lock.urls()) {
    if (auto url = upstream::parse_url(locked.url)) {
      keys->insert(cache::exchange_key("GET", *url, {}, ignore_query));
    }
  }
  return keys;
}

} // namespace

tl::expected<std::unique_ptr<Engine>, OpenError> Engine::open(const Options& options, Hooks hooks) {
  const auto fail = [](std::string message) {
    return tl::unexpected(OpenError{OpenError::Kind::failure, std::move(message)});
  };
  auto valid = validate(options);
  if (!valid) return tl::unexpected(valid.error());

  auto impl = std::make_unique<Impl>();
  Impl& e = *impl;
  e.options = options;
  e.upstream_url = valid->upstream;
  e.observer = std::move(hooks.access);
  // Every notice goes to stderr; `notices` sees it too (preload names a failure's cause).
  const cache::Notice tell = [notices = std::move(hooks.notices)](const std::string& line) {
    print_notice(line);
    if (notices) notices(line);
  };
  auto store = store::Store::open(options.store, store::OpenMode::create_if_missing);
  if (!store) return fail(store.error().message);
  e.store = std::move(*store);
  if (options.max_size) {
    if (auto bounded = e.store->set_bound(*options.max_size); !bounded) return fail(bounded.error().message);
  }
  const auto log_path = options.log.empty() ? e.store->layout().logs_dir() / "hubcache.ndjson"
                                            : std::filesystem::path(options.log);
  auto log = util::NdjsonLog::open(log_path);
  if (!log) return fail(log.error().message);
  e.log = std::move(*log);

  upstream::global_init();
  const upstream::FetcherOptions fetch_options = fetcher_options(options, *valid);
  util::NdjsonLog& log_file = *e.log;
  e.fetcher = std::make_unique<upstream::Fetcher>(
      fetch_options, e.metrics, e.stop, [&log_file](const upstream::ThrottleEvent& t) {
        log_file.write(throttle_line(t, util::SystemClock::instance().now()));
      });

  const std::string record_hint = "run hubcache with --mode record (upstream " +
                                  e.upstream_url.to_string() + ") while online";
  cache::CacheOptions cache_options;
  cache_options.mode = options.mode;
  cache_options.record_hint = record_hint;
  cache_options.ignored_query = options.ignore_query;
  cache_options.share_private = options.share_private;
  if (valid->lock) {
    cache_options.locked_keys = locked_keys(*valid->lock, options.ignore_query);
    cache_options.lock_path = options.lock;
  }
  try {
    e.scopes.emplace(*e.store);
  } catch (const std::exception& error) {
    return fail(error.what());
  }
  auto remote = open_remote_tier(options.remote, e.metrics, tell, &e.stop);
  if (!remote) return fail(remote.error().message);
  e.remote = std::move(*remote);
  cache_options.remote = e.remote.get();
  if (e.remote) {
    // Requests that wait on the bucket wait on these threads, never the server's (issue 18).
    try {
      e.lookups = std::make_unique<cache::Lookups>(cache::LookupsOptions{}, e.metrics, tell);
    } catch (const std::system_error& error) {
      return fail(std::string("cannot start the remote tier's lookup threads: ") + error.what());
    }
    add_lookup_gauges(e.metrics, *e.lookups);
    cache_options.lookups = e.lookups.get();
  }
  // The descriptors: as many as the system lets us have, shared out so that no burst of
  // requests runs the process out of them (issue 14).
  const std::uint64_t descriptor_limit = util::raise_descriptor_limit();
  // Half for the exchanges' hot entries, a quarter each for the Hub's hot files and listings
  // (hub/hot_lookups.hpp).
  const std::size_t hot_entries =
      cache::hot_entries_within({descriptor_limit, options.max_connections, options.max_fetches});
  cache_options.hot_entries = hot_entries - hot_entries / 4 * 2;
  cache::FetchesOptions fetches_options;
  fetches_options.workers = options.max_fetches;
  fetches_options.queue = options.fetch_queue;
  fetches_options.keep = options.keep_fetches;
  fetches_options.metrics = &e.metrics;
  try {
    e.fetches = std::make_unique<cache::Fetches>(*e.store, *e.fetcher, tell, fetches_options);
  } catch (const std::system_error& error) {
    return fail("cannot start " + std::to_string(options.max_fetches) +
                " fetch threads (--max-fetches): " + error.what());
  }
  add_fetch_gauges(e.metrics, *e.fetches);
  e.exchanges = std::make_unique<cache::Cache>(cache_options, *e.store, *e.fetches, *e.scopes,
                                               e.metrics, tell);
  hub::HubOptions hub_options;
  hub_options.mode = options.mode;
  hub_options.share_private = options.share_private;
  hub_options.record_hint = record_hint;
  hub_options.lock = valid->lock;
  hub_options.lock_path = options.lock;
  hub_options.remote = e.remote.get();
  hub_options.lookups = e.lookups.get();
  hub_options.hot_files = hot_entries / 4;
  hub_options.hot_listings = hot_entries / 4;
  e.hub = std::make_unique<hub::HubRoutes>(hub_options, *e.store, *e.fetches, *e.scopes, e.metrics,
                                           tell, e.upstream_url);
  add_store_gauges(e.metrics, *e.store);

  const Identity identity{std::string(cache::to_string(options.mode)), e.upstream_url.to_string(),
                          e.store->layout().root().string()};
  util::Metrics& metrics = e.metrics;
  http::install_admin(
      e.router, metrics, [identity] { return health_json(identity); },
      [&metrics, identity] { return stats_json(metrics, identity); });
  // Origin-form requests are the mirror's; absolute-form ones (an HTTP_PROXY's) the proxy's,
  // for the same hosts the fetcher may reach.
  proxy::ForwardOptions forward;
  // Replay reaches no upstream, so answering any origin is no open proxy: what was recorded
  // (by `preload`, or a run with --allow-host) replays without repeating --allow-host, and
  // everything else is a miss that says how to record it (see ForwardOptions::allow).
  forward.allow = fetch_options.allow;
  forward.hub_upstream = e.upstream_url;
  forward.dataset_viewer = valid->viewer;
  forward.own_port = e.port;
  e.router.set_fallback(proxy::forward_handler(std::move(forward), *e.exchanges, *e.hub,
                                               hub::hub_handler(*e.hub, *e.exchanges, e.upstream_url)));

  http::ServerOptions serving = server_options(options, valid->listen);
  serving.notice = tell;
  // CONNECT tunnels present a leaf of the store's CA, made on the first tunnel.
  serving.tls_identities = leaf_certificates(e.store->layout().ca_dir(), tell);
  const AccessObserver& seen = e.observer;
  e.server = std::make_unique<http::Server>(
      serving, e.router, e.metrics, [&log_file, &seen](const http::AccessRecord& sent) {
        // The log, the run's report and its lockfile never hold a URL's signature (issue 14).
        http::AccessRecord r = sent;
        r.url = upstream::redact_url(sent.url);
        log_file.write(access_line(r));
        if (seen) seen(r);
      });
  auto port = e.server->listen(hooks.handle_signals);
  if (!port) return fail(port.error().message);
  e.port->store(*port);
  if (!options.port_file.empty()) {
    std::ofstream out(options.port_file, std::ios::trunc);
    out << *port << "\n";
    if (!out) return fail("cannot write --port-file " + options.port_file);
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

tl::expected<void, OpenError> serve_until_signalled(const Options& options,
                                                    const std::function<void(int port)>& ready) {
  Hooks hooks;
  hooks.handle_signals = true;
  auto engine = Engine::open(options, std::move(hooks));
  if (!engine) return tl::unexpected(engine.error());
  ready((*engine)->port());
  (*engine)->serve();
  return {};
}

} // namespace engine
