#include "cli/engine_flags.hpp"

#include "engine/listen.hpp"
#include "upstream/url.hpp"

#include <CLI/CLI.hpp>

namespace cli {

void add_engine_options(CLI::App& app, EngineFlags& flags) {
  engine::Options& options = flags.engine;
  app.add_option("--listen", options.listen, "Address to listen on, HOST:PORT (port 0: any free)")
      ->capture_default_str()
      ->check([](const std::string& text) -> std::string {
        return engine::parse_listen(text) ? "" : "'" + text + "' is not HOST:PORT";
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
  add_remote_options(app, flags.remote,
                     "A hubcache bucket (see 'preload --publish') asked on a local miss, before the upstream");
  add_size_option(app, "--max-size", options.max_size,
                  "Bound the local store to SIZE (e.g. 200G): least recently used blobs make room");
}

engine::Options engine_options(const GlobalOptions& global, const EngineFlags& flags) {
  engine::Options out = flags.engine;
  out.store = global.store;
  out.remote = flags.remote.tier();
  return out;
}

} // namespace cli
