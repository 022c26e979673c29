#include "cli/engine.hpp"

#include "cache/cache.hpp"
#include "cache/mirror_route.hpp"
#include "http/admin.hpp"
#include "http/server.hpp"
#include "hubcache/version.hpp"
#include "upstream/fetcher.hpp"
#include "util/duration.hpp"
#include "util/json_line.hpp"
#include "util/ndjson_log.hpp"

#include <cstdio>
#include <fstream>
#include <mutex>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace cli {

namespace {

void add_duration_option(CLI::App& app, const std::string& name, std::chrono::milliseconds& out,
                         const std::string& help) {
  app.add_option_function<std::string>(
         name,
         [&out, name](const std::string& text) {
           const auto duration = util::parse_duration(text);
           if (!duration) {
             throw CLI::ValidationError(name, "'" + text + "' is not a duration (try 1s, 500ms, 2m)");
           }
           out = *duration;
         },
         help)
      ->type_name("DURATION");
}

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

void notice(const std::string& line) {
  std::lock_guard lock(g_stderr_mutex);
  std::fprintf(stderr, "hubcache: %s\n", line.c_str());
}

} // namespace

void add_engine_options(CLI::App& app, EngineOptions& options) {
  app.add_option("--listen", options.listen, "Address to listen on, HOST:PORT (port 0: any free)")
      ->capture_default_str();
  app.add_option("--upstream", options.upstream, "The origin to mirror, e.g. https://huggingface.co")
      ->type_name("URL")
      ->required();
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
  app.add_option("--allow-host", options.allow_hosts,
                 "Also follow redirects to hosts matching PATTERN (exact, *.example.com, or *)")
      ->type_name("PATTERN");
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
  app.add_option("--threads", options.threads, "Threads serving clients")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
}

int run_engine(const GlobalOptions& global, const EngineOptions& options,
               const std::function<void(int port)>& ready) {
  auto upstream_url = upstream::parse_url(options.upstream);
  if (!upstream_url) {
    std::fprintf(stderr, "hubcache: error: --upstream: %s\n", upstream_url.error().message.c_str());
    return k_exit_usage;
  }
  const auto listen = parse_listen(options.listen);
  if (!listen) {
    std::fprintf(stderr, "hubcache: error: --listen: '%s' is not HOST:PORT\n",
                 options.listen.c_str());
    return k_exit_usage;
  }
  auto store = store::Store::open(global.store, store::OpenMode::create_if_missing);
  if (!store) return report(store.error());
  const auto log_path =
      options.log.empty() ? (*store)->layout().logs_dir() / "hubcache.ndjson"
                          : std::filesystem::path(options.log);
  auto log = util::NdjsonLog::open(log_path);
  if (!log) return report(log.error());

  util::Metrics metrics;
  util::StopSignal stop;
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
  fetcher_options.allow_hosts = options.allow_hosts;
  fetcher_options.allow_hosts.push_back(upstream_url->host);
  fetcher_options.user_agent = std::string("hubcache/") + hubcache::k_version;
  util::NdjsonLog& log_file = **log;
  upstream::Fetcher fetcher(fetcher_options, metrics, stop, [&](const upstream::ThrottleEvent& e) {
    nlohmann::json line = {{"event", "throttle"},
                           {"ts", util::format_iso8601(util::SystemClock::instance().now())},
                           {"url", e.url},
                           {"attempt", e.attempt},
                           {"status", e.status ? nlohmann::json(*e.status) : nlohmann::json(nullptr)},
                           {"wait_s", static_cast<double>(e.wait.count()) / 1000.0},
                           {"source", upstream::to_string(e.source)}};
    if (!e.error.empty()) line["error"] = e.error;
    log_file.write(line.dump());
  });

  cache::CacheOptions cache_options;
  cache_options.mode = options.mode;
  cache_options.record_hint = "run hubcache with --mode record (upstream " +
                              upstream_url->to_string() + ") while online";
  std::optional<cache::CredentialScopes> scopes;
  try {
    scopes.emplace(**store);
  } catch (const std::exception& e) {
    return report({util::Errc::io, e.what()});
  }
  cache::Fetches fetches(**store, fetcher, notice);
  cache::Cache engine(cache_options, **store, fetches, *scopes, metrics, notice);

  auto& index = (*store)->index();
  const auto count = [&index](auto field) {
    return [&index, field]() -> double {
      auto counts = index.counts();
      return counts ? static_cast<double>((*counts).*field) : 0.0;
    };
  };
  metrics.gauge("hubcache_store_bytes", "Bytes of blobs in the store", count(&store::IndexCounts::blob_bytes));
  metrics.gauge("hubcache_store_blobs", "Blobs in the store", count(&store::IndexCounts::blobs));
  metrics.gauge("hubcache_store_exchanges", "Recorded exchanges", count(&store::IndexCounts::exchanges));
  metrics.gauge("hubcache_store_hub_objects", "Hub objects", count(&store::IndexCounts::hub_objects));

  http::Router router;
  const std::string mode_name(cache::to_string(options.mode));
  http::install_admin(
      router, metrics,
      [&] {
        return nlohmann::json{{"status", "ok"}, {"version", hubcache::k_version},
                              {"mode", mode_name}, {"upstream", upstream_url->to_string()}}
            .dump();
      },
      [&] {
        auto stats = nlohmann::json::parse(metrics.json());
        stats["mode"] = mode_name;
        stats["upstream"] = upstream_url->to_string();
        stats["store"] = (*store)->layout().root().string();
        return stats.dump();
      });
  cache::install_mirror(router, engine, *upstream_url);

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
  http::Server server(server_options, router, metrics, [&](const http::AccessRecord& r) {
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
    log_file.write(line.str());
  });
  auto port = server.listen(/*handle_signals=*/true);
  if (!port) return report(port.error());
  if (!options.port_file.empty()) {
    std::ofstream out(options.port_file, std::ios::trunc);
    out << *port << "\n";
    if (!out) return report({util::Errc::io, "cannot write --port-file " + options.port_file});
  }
  ready(*port);
  // Stopping: the server stops accepting and lets responses in flight finish (fetches
  // included) for up to --drain-timeout; then the fetches still running are aborted.
  server.run([] {});
  stop.request_stop();
  fetches.wait_idle();
  return k_exit_ok;
}

} // namespace cli
