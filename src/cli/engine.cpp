#include "cli/engine.hpp"

#include "cache/cache.hpp"
#include "cache/exchange_key.hpp"
#include "cache/credentials.hpp"
#include "cache/descriptor_budget.hpp"
#include "cache/fetches.hpp"
#include "http/admin.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "hub/lockfile.hpp"
#include "hub/routes.hpp"
#include "util/file.hpp"
#include "proxy/certificate_authority.hpp"
#include "proxy/forward_route.hpp"
#include "hubcache/version.hpp"
#include "upstream/fetcher.hpp"
#include "upstream/signed_url.hpp"
#include "util/duration.hpp"
#include "util/fd_limit.hpp"
#include "util/json_line.hpp"
#include "util/json_text.hpp"
#include "util/ndjson_log.hpp"
#include "util/utf8.hpp"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <system_error>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace cli {

namespace {

struct Listen {
  std::string host;
  int port = 0;
};

std::optional<Listen> parse_listen(const std::string& text) {
  Listen out;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    out.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    out.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (out.host.empty()) out.host = "127.0.0.1";
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  out.port = std::stoi(port);
  if (out.port > 65535) return std::nullopt;
  return out;
}

std::mutex g_stderr_mutex;

struct CaSlot {
  std::mutex mutex;
  std::unique_ptr<proxy::CertificateAuthority> authority;
};

void notice(const std::string& line) {
  std::lock_guard lock(g_stderr_mutex);
  // A notice names outside input (a URL, an upstream's error): never raw bytes on a terminal.
  std::fprintf(stderr, "hubcache: %s\n", util::printable(line, std::string_view::npos).c_str());
}

} // namespace

void add_engine_options(CLI::App& app, EngineOptions& options) {
  app.add_option("--listen", options.listen, "Address to listen on, HOST:PORT (port 0: any free)")
      ->capture_default_str()
      ->check([](const std::string& text) -> std::string {
        return parse_listen(text) ? "" : "'" + text + "' is not HOST:PORT";
      });
  app.add_option("--upstream", options.upstream,
                 "The Hub (or any origin) to mirror; HF_ENDPOINT points clients here instead")
      ->type_name("URL")
      ->capture_default_str()
      ->check([](const std::string& text) -> std::string {
        const auto url = upstream::parse_url(text);
        return url ? "" : url.error().message;
      });
  app.add_option("--dataset-viewer", options.dataset_viewer,
                 "The upstream's dataset viewer, which `datasets` asks at "
                 "datasets-server.<HF_ENDPOINT host> (default: datasets-server.<upstream host>)")
      ->type_name("URL")
      ->check([](const std::string& text) -> std::string {
        const auto url = upstream::parse_url(text);
        return url ? "" : url.error().message;
      });
  app.add_option("--upstream-ca", options.upstream_ca,
                 "Trust the CAs in FILE (PEM) for https upstreams instead of the system's")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  app.add_flag("--share-private", options.share_private,
               "Serve what was fetched with a token to requests without it (or with another)");
  app.add_option_function<std::string>(
         "--mode",
         [&options](const std::string& text) {
           const auto mode = cache::parse_mode(text);
           if (!mode) {
             throw CLI::ValidationError("--mode", "'" + text + "' is not record, replay or refresh");
           }
           options.mode = *mode;
         },
         "record (default): miss -> fetch and store; replay: never go online; refresh: ask "
         "upstream first, stored answer if it fails")
      ->type_name("MODE");
  add_allow_host_option(
      app, options.allow_hosts,
      "Also proxy, and follow redirects to, origins matching PATTERN: [http(s)://]HOST[:PORT], "
      "HOST exact, *.example.com or *, PORT a number or * (none: 80 for http, 443 for https); "
      "replay answers any origin from the store");
  app.add_option("--lock", options.lock,
                 "Answer only what this lockfile names (replay; see 'hubcache lock')")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  app.add_option("--ignore-query", options.ignore_query,
                 "Leave query parameter NAME out of recorded keys (cache busters, session ids)")
      ->type_name("NAME");
  app.add_option("--log", options.log, "NDJSON log (access lines, throttle events); - for stderr")
      ->type_name("FILE");
  app.add_option("--port-file", options.port_file, "Write the port to FILE once listening")
      ->type_name("FILE");
  app.add_option("--retries", options.retries, "Retries after 429/5xx/broken transfers")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  add_duration_option(app, "--retry-floor", options.retry_floor, "Shortest backoff wait (default 1s)");
  add_duration_option(app, "--retry-ceiling", options.retry_ceiling,
                      "Longest wait, Retry-After included (default 120s)");
  add_size_option(app, "--min-rate", options.min_rate,
                  "Abort and resume a transfer slower than SIZE/s for --stall-time (default 1k)");
  add_duration_option(app, "--stall-time", options.stall_time,
                      "How long a transfer may stay under --min-rate (default 30s)");
  add_duration_option(app, "--client-timeout", options.client_timeout,
                      "Close a client connection idle, or not reading, this long (default 60s)");
  add_duration_option(app, "--drain-timeout", options.drain_timeout,
                      "On SIGINT/SIGTERM, wait this long for responses in flight (default 10s)");
  app.add_option("--max-upstream-per-host", options.max_upstream_per_host,
                 "Concurrent upstream requests per host")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--max-connections", options.max_connections, "Client connections at once")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--max-fetches", options.max_fetches,
                 "Upstream fetches running at once (each on a thread of a fixed pool)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--fetch-queue", options.fetch_queue,
                 "Fetches waiting for a free one; beyond that, a miss is answered 503 with "
                 "Retry-After: 1")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--threads", options.threads, "Threads serving clients")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  add_remote_options(app, options.remote,
                     "A hubcache bucket (see 'preload --publish') asked on a local miss, before the upstream");
  add_size_option(app, "--max-size", options.max_size,
                  "Bound the local store to SIZE (e.g. 200G): least recently used blobs make room");
}

namespace {

// Where the Hub keeps LFS and Xet bodies: followed from huggingface.co without --allow-host.
const char* const k_hub_cdn_hosts[] = {"https://*.huggingface.co", "https://*.hf.co"};

} // namespace

// Members in construction order; destroyed in reverse, the server first.
struct Engine::Impl {
  EngineOptions options;
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
  AccessObserver observer;
  std::shared_ptr<std::atomic<int>> port = std::make_shared<std::atomic<int>>(0);
};

Engine::Engine(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Engine::~Engine() = default;
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

tl::expected<std::unique_ptr<Engine>, Engine::OpenError> Engine::open(const GlobalOptions& global,
                                                                      const EngineOptions& options,
                                                                      bool handle_signals,
                                                                      AccessObserver observer,
                                                                      NoticeObserver notices) {
  const auto fail = [](int code, std::string message) {
    return tl::unexpected(OpenError{code, std::move(message)});
  };
  auto upstream_url = upstream::parse_url(options.upstream);
  if (!upstream_url) return fail(k_exit_usage, "--upstream: " + upstream_url.error().message);
  const auto listen = parse_listen(options.listen);
  if (!listen) return fail(k_exit_usage, "--listen: '" + options.listen + "' is not HOST:PORT");

  std::shared_ptr<const hub::Lockfile> lock;
  if (!options.lock.empty()) {
    if (options.mode != cache::Mode::replay) {
      return fail(k_exit_usage, "--lock needs --mode replay (see --help; to fetch a lock, use "
                                "'hubcache preload --lock')");
    }
    auto text = util::read_small_file(options.lock);
    if (!text) return fail(k_exit_usage, "--lock: " + text.error().message);
    auto parsed = hub::parse_lockfile(*text, options.lock);
    if (!parsed) {
      const auto& message = parsed.error().message;
      return fail(k_exit_usage, message.substr(0, message.find('\n')));
    }
    lock = std::make_shared<const hub::Lockfile>(std::move(*parsed));
  }

  auto impl = std::make_unique<Impl>();
  Impl& e = *impl;
  e.options = options;
  e.upstream_url = *upstream_url;
  e.observer = std::move(observer);
  // Every notice goes to stderr; `notices` sees it too (preload names a failure's cause).
  const cache::Notice tell = [notices = std::move(notices)](const std::string& line) {
    notice(line);
    if (notices) notices(line);
  };
  // What `datasets` asks at datasets-server.<HF_ENDPOINT host> goes to the upstream's viewer.
  upstream::Url viewer = e.upstream_url;
  viewer.host = "datasets-server." + viewer.host;
  if (!options.dataset_viewer.empty()) {
    auto given = upstream::parse_url(options.dataset_viewer);
    if (!given) return fail(k_exit_usage, "--dataset-viewer: " + given.error().message);
    viewer = *given;
  }
  viewer.path = "/";
  viewer.query.clear();
  auto store = store::Store::open(global.store, store::OpenMode::create_if_missing);
  if (!store) return fail(k_exit_failure, store.error().message);
  e.store = std::move(*store);
  if (options.max_size) {
    if (auto bounded = e.store->set_bound(*options.max_size); !bounded) {
      return fail(k_exit_failure, bounded.error().message);
    }
  }
  const auto log_path = options.log.empty() ? e.store->layout().logs_dir() / "hubcache.ndjson"
                                            : std::filesystem::path(options.log);
  auto log = util::NdjsonLog::open(log_path);
  if (!log) return fail(k_exit_failure, log.error().message);
  e.log = std::move(*log);

  upstream::global_init();
  upstream::FetcherOptions fetcher_options;
  fetcher_options.retry.max_retries = options.retries;
  fetcher_options.retry.floor = options.retry_floor;
  fetcher_options.retry.ceiling = options.retry_ceiling;
  fetcher_options.min_rate = options.min_rate.value_or(1000);
  fetcher_options.stall_time =
      std::max(std::chrono::seconds(1),
               std::chrono::duration_cast<std::chrono::seconds>(options.stall_time));
  fetcher_options.max_per_host = options.max_upstream_per_host;
  // The upstream's own origin exactly: not the other ports of its host (issue 14).
  fetcher_options.allow = options.allow_hosts;
  fetcher_options.allow.push_back(upstream::OriginPattern::exactly(e.upstream_url));
  fetcher_options.allow.push_back(upstream::OriginPattern::exactly(viewer));
  if (e.upstream_url.host == "huggingface.co" || e.upstream_url.host.ends_with(".huggingface.co")) {
    for (const char* cdn : k_hub_cdn_hosts) {
      fetcher_options.allow.push_back(*upstream::OriginPattern::parse(cdn));
    }
  }
  fetcher_options.user_agent = std::string("hubcache/") + hubcache::k_version;
  fetcher_options.ca_file = options.upstream_ca;
  util::NdjsonLog& log_file = *e.log;
  e.fetcher = std::make_unique<upstream::Fetcher>(
      fetcher_options, e.metrics, e.stop, [&log_file](const upstream::ThrottleEvent& t) {
        // JsonLine, not nlohmann: a URL that is not UTF-8 made dump() throw here (issue 14).
        util::JsonLine line;
        line.add("event", "throttle")
            .add("ts", util::format_iso8601(util::SystemClock::instance().now()))
            .add("url", t.url)
            .add("attempt", t.attempt)
            .add("status", t.status)
            .add("wait_s", static_cast<double>(t.wait.count()) / 1000.0)
            .add("source", upstream::to_string(t.source));
        if (!t.error.empty()) line.add("error", t.error);
        log_file.write(line.str());
      });

  const std::string record_hint = "run hubcache with --mode record (upstream " +
                                  e.upstream_url.to_string() + ") while online";
  cache::CacheOptions cache_options;
  cache_options.mode = options.mode;
  cache_options.record_hint = record_hint;
  cache_options.ignored_query = options.ignore_query;
  cache_options.share_private = options.share_private;
  if (lock) {
    auto keys = std::make_shared<std::set<std::string>>();
    for (const auto& locked : lock->urls()) {
      if (auto url = upstream::parse_url(locked.url)) {
        keys->insert(cache::exchange_key("GET", *url, {}, options.ignore_query));
      }
    }
    cache_options.locked_keys = std::move(keys);
    cache_options.lock_path = options.lock;
  }
  try {
    e.scopes.emplace(*e.store);
  } catch (const std::exception& error) {
    return fail(k_exit_failure, error.what());
  }
  auto remote = open_remote_tier(options.remote, e.metrics, tell, &e.stop);
  if (!remote) return fail(k_exit_failure, remote.error().message);
  e.remote = std::move(*remote);
  cache_options.remote = e.remote.get();
  // The descriptors: as many as the system lets us have, shared out so that no burst of
  // requests runs the process out of them (issue 14).
  const std::uint64_t descriptor_limit = util::raise_descriptor_limit();
  cache_options.hot_entries =
      cache::hot_entries_within({descriptor_limit, options.max_connections, options.max_fetches});
  cache::FetchesOptions fetches_options;
  fetches_options.workers = options.max_fetches;
  fetches_options.queue = options.fetch_queue;
  fetches_options.keep = options.keep_fetches;
  fetches_options.metrics = &e.metrics;
  try {
    e.fetches = std::make_unique<cache::Fetches>(*e.store, *e.fetcher, tell, fetches_options);
  } catch (const std::system_error& error) {
    return fail(k_exit_failure, "cannot start " + std::to_string(options.max_fetches) +
                                    " fetch threads (--max-fetches): " + error.what());
  }
  const cache::Fetches& fetches = *e.fetches;
  e.metrics.gauge("hubcache_fetches_running", "Fetches running (at most --max-fetches)",
                  [&fetches] { return static_cast<double>(fetches.running()); });
  e.metrics.gauge("hubcache_fetches_queued", "Fetches waiting for a free fetching thread",
                  [&fetches] { return static_cast<double>(fetches.queued()); });
  e.exchanges = std::make_unique<cache::Cache>(cache_options, *e.store, *e.fetches, *e.scopes,
                                               e.metrics, tell);
  hub::HubOptions hub_options;
  hub_options.mode = options.mode;
  hub_options.share_private = options.share_private;
  hub_options.record_hint = record_hint;
  hub_options.lock = lock;
  hub_options.lock_path = options.lock;
  hub_options.remote = e.remote.get();
  e.hub = std::make_unique<hub::HubRoutes>(hub_options, *e.store, *e.fetches, *e.scopes, e.metrics,
                                           tell, e.upstream_url);

  auto& index = e.store->index();
  const auto count = [&index](auto field) {
    return [&index, field]() -> double {
      auto counts = index.counts();
      return counts ? static_cast<double>((*counts).*field) : 0.0;
    };
  };
  e.metrics.gauge("hubcache_store_bytes", "Bytes of blobs in the store", count(&store::IndexCounts::blob_bytes));
  e.metrics.gauge("hubcache_store_blobs", "Blobs in the store", count(&store::IndexCounts::blobs));
  e.metrics.gauge("hubcache_store_exchanges", "Recorded exchanges", count(&store::IndexCounts::exchanges));
  e.metrics.gauge("hubcache_store_hub_objects", "Hub objects", count(&store::IndexCounts::hub_objects));
  // The local tier against its bound (--max-size), and what made room.
  if (const store::SpaceBudget* budget = e.store->budget()) {
    e.metrics.gauge("hubcache_local_bytes", "Bytes the local tier holds on disk (blobs and partial bodies)",
                    [budget] { return static_cast<double>(budget->used()); });
    e.metrics.gauge("hubcache_local_bound_bytes", "The local tier's bound (--max-size)",
                    [budget] { return static_cast<double>(budget->bound()); });
    e.metrics.gauge("hubcache_evicted_blobs", "Blobs evicted (least recently used) to stay under the bound",
                    [budget] { return static_cast<double>(budget->evicted_blobs()); });
    e.metrics.gauge("hubcache_evicted_bytes", "Bytes evicted to stay under the bound",
                    [budget] { return static_cast<double>(budget->evicted_bytes()); });
  }

  const std::string mode_name(cache::to_string(options.mode));
  const std::string upstream_text = e.upstream_url.to_string();
  const std::string store_text = e.store->layout().root().string();
  util::Metrics& metrics = e.metrics;
  http::install_admin(
      e.router, metrics,
      [mode_name, upstream_text] {
        return util::to_json_text(nlohmann::json{{"status", "ok"}, {"version", hubcache::k_version},
                                                 {"mode", mode_name}, {"upstream", upstream_text}});
      },
      [&metrics, mode_name, upstream_text, store_text] {
        auto stats = nlohmann::json::parse(metrics.json());
        // Per tier: where answers and their bytes came from.
        const auto requests = [&metrics](const char* cache) {
          return metrics.value("hubcache_requests_total", {{"cache", cache}});
        };
        const auto bytes = [&metrics](const char* source) {
          return metrics.value("hubcache_served_bytes_total", {{"source", source}});
        };
        const auto remote_requests = metrics.value("hubcache_remote_requests_total");
        stats["tiers"] = {
            {"local", {{"hits", requests("hit") + requests("stale")}, {"bytes", bytes("store")}}},
            {"remote",
             {{"hits", requests("remote")},
              {"bytes", bytes("remote")},
              {"requests", remote_requests},
              {"errors", metrics.value("hubcache_remote_errors_total")},
              {"mean_ms", remote_requests ? static_cast<double>(metrics.value("hubcache_remote_request_ms_total")) /
                                                static_cast<double>(remote_requests)
                                          : 0.0}}},
            {"upstream", {{"fetches", requests("stored")}, {"bytes", bytes("upstream")}}}};
        stats["mode"] = mode_name;
        stats["upstream"] = upstream_text;
        stats["store"] = store_text;
        return util::to_json_text(stats);
      });
  // Origin-form requests are the mirror's; absolute-form ones (an HTTP_PROXY's) the proxy's,
  // for the same hosts the fetcher may reach.
  proxy::ForwardOptions forward;
  // Replay reaches no upstream, so answering any origin is no open proxy: what was recorded
  // (by `preload`, or a run with --allow-host) replays without repeating --allow-host, and
  // everything else is a miss that says how to record it (see ForwardOptions::allow).
  forward.allow = fetcher_options.allow;
  forward.hub_upstream = e.upstream_url;
  forward.dataset_viewer = viewer;
  forward.own_port = e.port;
  e.router.set_fallback(proxy::forward_handler(
      std::move(forward), *e.exchanges, *e.hub,
      hub::hub_handler(*e.hub, *e.exchanges, e.upstream_url)));

  http::ServerOptions server_options;
  server_options.host = listen->host;
  server_options.port = listen->port;
  server_options.threads = options.threads;
  server_options.max_connections = options.max_connections;
  const auto seconds = [](std::chrono::milliseconds ms) {
    return std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(ms));
  };
  server_options.header_timeout = std::min(std::chrono::seconds(30), seconds(options.client_timeout));
  server_options.idle_timeout = seconds(options.client_timeout);
  server_options.write_timeout = seconds(options.client_timeout);
  server_options.drain_timeout = seconds(options.drain_timeout);
  server_options.notice = tell;
  const AccessObserver& seen = e.observer;
  // CONNECT tunnels present a leaf of the store's CA, made on the first tunnel.
  const auto ca_dir = e.store->layout().ca_dir();
  server_options.tls_identities =
      [ca_dir, tell, ca = std::make_shared<CaSlot>()](
          const util::HostName& host) -> std::optional<http::TlsIdentity> {
    std::lock_guard lock(ca->mutex);
    if (!ca->authority) {
      auto opened = proxy::CertificateAuthority::open_or_create(ca_dir);
      if (!opened) {
        tell("CONNECT " + host.text() + " refused: " + opened.error().message);
        return std::nullopt;
      }
      ca->authority = std::move(*opened);
    }
    auto leaf = ca->authority->leaf_for(host);
    if (!leaf) {
      tell("CONNECT " + host.text() + " refused: " + leaf.error().message);
      return std::nullopt;
    }
    return http::TlsIdentity{(*leaf)->certificate_pem, (*leaf)->key_pem};
  };
  e.server = std::make_unique<http::Server>(
      server_options, e.router, e.metrics, [&log_file, &seen](const http::AccessRecord& sent) {
        // The log, the run's report and its lockfile never hold a URL's signature (issue 14).
        http::AccessRecord r = sent;
        r.url = upstream::redact_url(sent.url);
        util::JsonLine line;
        line.add("event", "access")
            .add("ts", util::format_iso8601(r.ts))
            .add("method", r.method)
            .add("url", r.url)
            .add("status", r.status)
            .add("cache", r.cache)
            .add("bytes", r.bytes)
            .add("ms", r.ms)
            .add("upstream_ms", r.upstream_ms);
        if (r.aborted) line.add("aborted", true);
        if (!r.optional.empty()) line.add("optional", r.optional);
        log_file.write(line.str());
        if (seen) seen(r);
      });
  auto port = e.server->listen(handle_signals);
  if (!port) return fail(k_exit_failure, port.error().message);
  e.port->store(*port);
  if (!options.port_file.empty()) {
    std::ofstream out(options.port_file, std::ios::trunc);
    out << *port << "\n";
    if (!out) return fail(k_exit_failure, "cannot write --port-file " + options.port_file);
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

int run_engine(const GlobalOptions& global, const EngineOptions& options,
               const std::function<void(int port)>& ready) {
  auto engine = Engine::open(global, options, /*handle_signals=*/true);
  if (!engine) {
    std::fprintf(stderr, "hubcache: error: %s\n", engine.error().message.c_str());
    return engine.error().exit_code;
  }
  ready((*engine)->port());
  (*engine)->serve();
  return k_exit_ok;
}

} // namespace cli
