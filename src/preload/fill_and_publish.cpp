#include "preload/fill_and_publish.hpp"

#include "cache/credentials.hpp"
#include "engine/client_bundle.hpp"
#include "engine/engine.hpp"
#include "preload/bucket.hpp"
#include "preload/failure_causes.hpp"
#include "upstream/url.hpp"

namespace preload {

bool JobReport::any_failed() const {
  for (const auto& o : outcomes) {
    if (!o.errors.empty()) return true;
  }
  return false;
}

namespace {

tl::expected<JobReport, engine::OpenError> failure(const util::Error& error) {
  return tl::unexpected(engine::OpenError{engine::OpenError::Kind::failure, error.message});
}

engine::Options engine_options(const JobOptions& options, const JobInput& input, bool& any_url) {
  engine::Options out;
  out.store = options.store;
  out.listen = "127.0.0.1:0";
  // Record: what the store holds is a hit. Preload asks where each branch is now with
  // X-Hubcache-Refresh (see cache/expectation.hpp).
  out.mode = cache::Mode::record;
  out.upstream = options.upstream;
  out.upstream_ca = options.upstream_ca;
  out.retries = options.retries;
  out.threads = 2;
  out.remote = options.remote;
  // Filling the store is the point: a fetch whose client gave up still runs to its end.
  out.keep_fetches = cache::Keep::until_done;
  out.allow_hosts = options.allow_hosts;
  any_url = false;
  const auto allow_origin = [&](const std::string& text) {
    any_url = true;
    if (auto parsed = upstream::parse_url(text)) {
      out.allow_hosts.push_back(upstream::OriginPattern::exactly(*parsed));
    }
  };
  for (const auto& entry : input.entries) {
    if (const auto* url = std::get_if<UrlEntry>(&entry.what)) allow_origin(url->url);
  }
  if (input.lock) {
    for (const auto& url : input.lock->urls()) allow_origin(url.url);
  }
  return out;
}

} // namespace

tl::expected<JobReport, engine::OpenError> fill_and_publish(
    const JobOptions& options, const JobInput& input, Observer& observer,
    const std::function<void(const std::string&)>& publish_progress) {
  // A writer that cannot write finds out before it fetches anything.
  util::Metrics publish_metrics;
  std::unique_ptr<remote::RemoteTier> bucket;
  if (!options.publish.url.empty()) {
    auto opened = open_publish_bucket(options.publish, publish_metrics);
    if (!opened) return failure(opened.error());
    bucket = std::move(*opened);
  }

  bool any_url = false;
  const engine::Options engine_opts = engine_options(options, input, any_url);
  // The engine tells its clients only that a fetch failed; preload is the operator, and names
  // the cause from the engine's notice for the same failure.
  FailureCauses causes;
  engine::Hooks hooks;
  hooks.notices = [&causes](const std::string& line) { causes.note(line); };
  auto engine = engine::Engine::open(engine_opts, std::move(hooks));
  if (!engine) return tl::unexpected(engine.error());
  (*engine)->start();

  std::string bundle;
  if (any_url) {
    auto written = engine::write_client_bundle((*engine)->store_root() / "ca");
    if (!written) return failure(written.error());
    bundle = written->string();
  }
  auto store = store::Store::open(options.store, store::OpenMode::must_exist);
  if (!store) return failure(store.error());
  EngineClient client("http://127.0.0.1:" + std::to_string((*engine)->port()), bundle, options.token,
                      &causes);
  PreloadOptions preload_options;
  preload_options.jobs = options.jobs;
  try {
    // The scope the engine files this token's answers under (EngineClient sends it so).
    if (options.token) preload_options.scope = cache::CredentialScopes(**store).of("Bearer " + *options.token, "");
  } catch (const std::exception& error) {
    return failure({util::Errc::io, error.what()});
  }
  JobReport report;
  report.outcomes = input.lock ? run_locked_preload(*input.lock, input.lock_name, **store, client,
                                                    preload_options, observer)
                               : run_preload(input.entries, **store, client, preload_options, observer);
  (*engine)->finish();

  if (!bucket) return report;
  report.bucket = bucket->describe();
  if (report.any_failed()) return report;
  remote::PublishOptions publish_options;
  publish_options.jobs = options.jobs;
  auto published = remote::publish_store(**store, bucket->client(), publish_options, publish_progress);
  if (published) {
    report.published = *published;
  } else {
    report.publish_error = published.error();
  }
  return report;
}

} // namespace preload
