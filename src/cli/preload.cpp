// `hubcache preload MANIFEST…`: fills the store from a curated list (preload/fill_and_publish:
// through an engine of its own, then publishing), or checks for drift; flags and printing.
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/remote_options.hpp"
#include "hub/lockfile.hpp"
#include "preload/bucket.hpp"
#include "preload/drift.hpp"
#include "preload/fill_and_publish.hpp"
#include "util/file.hpp"
#include "util/progress.hpp"
#include "util/size.hpp"

#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct PreloadCliOptions {
  std::vector<std::string> manifests;
  std::string lock;
  std::string upstream = "https://huggingface.co";
  std::string upstream_ca;
  int jobs = 4;
  int retries = 5;
  bool json = false;
  bool check = false;
  std::string publish;        // s3://BUCKET/PREFIX: the refresh job's bucket
  RemoteCliOptions remote;    // --remote (a node warming its tier), --s3-endpoint, --s3-ca
  upstream::AllowList allow_hosts;  // --allow-host: where the upstream's redirects may lead
};

// The bucket --publish names, with --s3-endpoint and --s3-ca.
remote::RemoteOptions publish_bucket(const PreloadCliOptions& options) {
  RemoteCliOptions bucket = options.remote;
  bucket.remote = options.publish;
  return bucket.tier();
}

// Progress for people: an overall bar (or plain lines) and a line per finished file.
class ProgressObserver final : public preload::Observer {
public:
  explicit ProgressObserver(bool quiet)
      : m_progress("preload", stderr,
                   quiet ? util::Progress::Style::none
                         : (::isatty(::fileno(stderr)) ? util::Progress::Style::bar
                                                       : util::Progress::Style::lines)),
        m_quiet(quiet) {}

  void planned(std::uint64_t files, std::uint64_t bytes) override {
    if (!m_quiet) {
      std::fprintf(stderr, "hubcache: preload: %llu file%s to fetch, %s\n",
                   static_cast<unsigned long long>(files), files == 1 ? "" : "s",
                   util::format_size(bytes).c_str());
    }
    m_progress.start(bytes);
  }
  void advanced(std::uint64_t bytes) override { m_progress.advance(bytes); }
  void file_done(const preload::FileTask& task, std::uint64_t bytes,
                 const std::string& error) override {
    if (error.empty()) {
      m_progress.note("  fetched " + task.label + " (" + util::format_size(bytes) + ")");
    } else {
      m_progress.note("  FAILED  " + task.label + ": " + error);
    }
  }
  void notice(const std::string& line) override {
    if (!m_quiet) m_progress.note("hubcache: preload: " + line);
  }
  void finish() { m_progress.finish(); }

private:
  util::Progress m_progress;
  bool m_quiet;
};

nlohmann::json outcome_json(const preload::EntryOutcome& o) {
  nlohmann::json j = {{"entry", o.name},       {"source", o.source},
                      {"files", o.files},      {"fetched", o.fetched},
                      {"present", o.present},  {"bytes_fetched", o.bytes_fetched},
                      {"bytes_present", o.bytes_present}, {"errors", o.errors},
                      {"ok", o.errors.empty()}};
  if (!o.commit.empty()) j["commit"] = o.commit;
  if (o.stale) j["stale"] = true;
  return j;
}

// Prints each line of a multi-line error as its own "hubcache: error:" line.
void print_errors(const std::string& errors) {
  std::size_t start = 0;
  while (start < errors.size()) {
    const auto end = std::min(errors.find('\n', start), errors.size());
    std::fprintf(stderr, "hubcache: error: %s\n", errors.substr(start, end - start).c_str());
    start = end + 1;
  }
}

std::string short_commit(const std::string& commit) {
  return commit.empty() ? "(not recorded)" : commit.substr(0, 12);
}

// `--check`: asks the Hub itself, writes nothing. Exit 0: nothing moved; 3: something moved;
// 1: a check failed.
int check_command(const GlobalOptions& global, const PreloadCliOptions& options,
                  const std::vector<preload::Entry>& entries) {
  std::optional<std::string> token;
  if (const char* t = std::getenv("HF_TOKEN"); t && *t) token = t;
  std::string origin = options.upstream;
  while (!origin.empty() && origin.back() == '/') origin.pop_back();
  const preload::EngineClient hub(origin, options.upstream_ca, token, nullptr, {.max_retries = options.retries});
  std::vector<preload::Drift> drifts;
  util::Metrics metrics;
  if (!options.publish.empty()) {
    auto bucket = preload::open_publish_bucket(publish_bucket(options), metrics);
    if (!bucket) return report(bucket.error());
    preload::BucketRecorded recorded(**bucket);
    drifts = preload::check_drift(entries, recorded, hub);
  } else {
    auto store = open_existing_store(global);
    if (!store) return report(store.error());
    drifts = preload::check_drift(entries, **store, hub);
  }
  std::uint64_t moved = 0, failed = 0;
  for (const auto& d : drifts) {
    moved += d.moved && d.error.empty();
    failed += !d.error.empty();
  }
  if (options.json) {
    nlohmann::json out = {{"checked", drifts.size()}, {"moved", moved}, {"failed", failed},
                          {"results", nlohmann::json::array()}};
    for (const auto& d : drifts) {
      nlohmann::json j = {{"entry", d.name}, {"source", d.source}, {"moved", d.moved},
                          {"recorded", d.recorded.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(d.recorded)},
                          {"upstream", d.upstream}, {"files_changed", d.files_changed},
                          {"bytes", d.bytes}};
      if (!d.error.empty()) j["error"] = d.error;
      out["results"].push_back(j);
    }
    print_json(out);
  } else {
    for (const auto& d : drifts) {
      if (!d.error.empty()) {
        std::fprintf(stderr, "hubcache: error: %s (%s): %s\n", d.name.c_str(), d.source.c_str(),
                     d.error.c_str());
      } else if (d.moved) {
        std::printf("moved       %s  %s -> %s  %llu file%s changed, %s\n", d.name.c_str(),
                    short_commit(d.recorded).c_str(), short_commit(d.upstream).c_str(),
                    static_cast<unsigned long long>(d.files_changed),
                    d.files_changed == 1 ? "" : "s", util::format_size(d.bytes).c_str());
      } else {
        std::printf("up to date  %s  %s\n", d.name.c_str(), short_commit(d.recorded).c_str());
      }
    }
    std::printf("%llu of %zu branches moved upstream%s\n", static_cast<unsigned long long>(moved),
                drifts.size(), moved ? " (run hubcache preload to fetch them)" : "");
  }
  if (failed) return k_exit_failure;
  return moved ? 3 : k_exit_ok;
}

// The job's outcome on stdout (and its failures on stderr); returns the exit code.
int print_report(const PreloadCliOptions& options, const preload::JobReport& job) {
  const auto& outcomes = job.outcomes;
  std::uint64_t failed = 0, files = 0, fetched = 0, present = 0, bytes_fetched = 0,
                bytes_present = 0;
  for (const auto& o : outcomes) {
    failed += o.errors.empty() ? 0 : 1;
    files += o.files;
    fetched += o.fetched;
    present += o.present;
    bytes_fetched += o.bytes_fetched;
    bytes_present += o.bytes_present;
  }
  nlohmann::json out;
  if (options.json) {
    out = {{"entries", outcomes.size()}, {"failed", failed},
           {"files", files},             {"fetched", fetched},
           {"present", present},         {"bytes_fetched", bytes_fetched},
           {"bytes_present", bytes_present}, {"results", nlohmann::json::array()}};
    for (const auto& o : outcomes) out["results"].push_back(outcome_json(o));
    // With --publish, printed once the publish is known too.
    if (job.bucket.empty() || failed) print_json(out);
  } else {
    std::printf("preloaded %zu entr%s: %llu files, %llu fetched (%s), %llu already present (%s)%s\n",
                outcomes.size(), outcomes.size() == 1 ? "y" : "ies",
                static_cast<unsigned long long>(files), static_cast<unsigned long long>(fetched),
                util::format_size(bytes_fetched).c_str(),
                static_cast<unsigned long long>(present), util::format_size(bytes_present).c_str(),
                failed ? (", " + std::to_string(failed) + " failed").c_str() : "");
    for (const auto& o : outcomes) {
      if (o.errors.empty()) continue;
      std::fprintf(stderr, "hubcache: error: %s (%s): %s%s\n", o.name.c_str(), o.source.c_str(),
                   o.errors.front().c_str(),
                   o.errors.size() > 1
                       ? (" (and " + std::to_string(o.errors.size() - 1) + " more)").c_str()
                       : "");
    }
  }
  if (failed) {
    if (!job.bucket.empty()) {
      std::fprintf(stderr, "hubcache: error: nothing published to %s: an entry failed, and the "
                           "bucket keeps its refs\n", job.bucket.c_str());
    }
    return k_exit_failure;
  }
  if (job.publish_error) {
    return report(util::with_context(*job.publish_error, "publishing to " + job.bucket +
                                                             " (its refs are unchanged)"));
  }
  if (!job.published) return k_exit_ok;
  const auto& published = *job.published;
  if (options.json) {
    out["published"] = {{"bucket", job.bucket},
                        {"blobs_written", published.blobs_written},
                        {"blobs_present", published.blobs_present},
                        {"bytes_written", published.bytes_written},
                        {"files", published.files},
                        {"exchanges", published.exchanges},
                        {"refs", published.refs}};
    print_json(out);
  } else {
    std::printf("published to %s: %llu blobs written (%s), %llu already there, %llu files, %llu "
                "answers, %llu refs\n",
                job.bucket.c_str(), static_cast<unsigned long long>(published.blobs_written),
                util::format_size(published.bytes_written).c_str(),
                static_cast<unsigned long long>(published.blobs_present),
                static_cast<unsigned long long>(published.files),
                static_cast<unsigned long long>(published.exchanges),
                static_cast<unsigned long long>(published.refs));
  }
  return k_exit_ok;
}

int run_preload_command(const GlobalOptions& global, const PreloadCliOptions& options) {
  if (options.manifests.empty() == options.lock.empty()) {
    std::fprintf(stderr, "hubcache: error: give MANIFEST files or --lock FILE, not both "
                         "(see 'hubcache preload --help')\n");
    return k_exit_usage;
  }
  if (options.check && !options.lock.empty()) {
    std::fprintf(stderr, "hubcache: error: --check takes MANIFEST files, not --lock "
                         "(see 'hubcache preload --help')\n");
    return k_exit_usage;
  }
  // The whole manifest (or lock) first: a bad line anywhere and nothing happens.
  std::vector<preload::Entry> entries;
  std::optional<hub::Lockfile> lock;
  std::string errors;
  if (!options.lock.empty()) {
    auto text = util::read_small_file(options.lock);
    if (!text) {
      std::fprintf(stderr, "hubcache: error: cannot read lockfile %s: %s\n", options.lock.c_str(),
                   text.error().message.c_str());
      return k_exit_usage;
    }
    auto parsed = hub::parse_lockfile(*text, options.lock);
    if (!parsed) {
      errors = parsed.error().message;
    } else {
      lock = std::move(*parsed);
    }
  }
  for (const auto& file : options.manifests) {
    auto text = util::read_small_file(file);
    if (!text) {
      std::fprintf(stderr, "hubcache: error: cannot read manifest %s: %s\n", file.c_str(),
                   text.error().message.c_str());
      return k_exit_usage;
    }
    auto parsed = preload::parse_manifest(*text, file);
    if (!parsed) {
      errors += (errors.empty() ? "" : "\n") + parsed.error().message;
      continue;
    }
    entries.insert(entries.end(), parsed->begin(), parsed->end());
  }
  if (!errors.empty()) {
    print_errors(errors);
    std::fprintf(stderr, "hubcache: nothing was fetched (see 'hubcache preload --help')\n");
    return k_exit_usage;
  }

  if (options.check) return check_command(global, options, entries);
  preload::JobOptions job;
  job.store = global.store;
  job.upstream = options.upstream;
  job.upstream_ca = options.upstream_ca;
  job.retries = options.retries;
  job.allow_hosts = options.allow_hosts;
  job.remote = options.remote.tier();
  if (!options.publish.empty()) job.publish = publish_bucket(options);
  job.jobs = options.jobs;
  if (const char* t = std::getenv("HF_TOKEN"); t && *t) job.token = t;
  const preload::JobInput input{entries, lock ? &*lock : nullptr, options.lock};
  ProgressObserver observer(options.json);
  auto done = preload::fill_and_publish(job, input, observer, [&options](const std::string& line) {
    if (!options.json) std::fprintf(stderr, "hubcache: %s\n", line.c_str());
  });
  observer.finish();
  if (!done) return report(done.error());
  return print_report(options, *done);
}

} // namespace

Command add_preload(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<PreloadCliOptions>();
  auto* app = parent.add_subcommand(
      "preload", "Fill the store from manifests of Hub repos and URLs, as clients will ask them");
  add_store_option(*app, global);
  app->add_option("MANIFEST", options->manifests, "Manifest files (see the footer)")
      ->check(CLI::ExistingFile);
  app->add_option("--lock", options->lock,
                  "Fetch exactly what this lockfile names (see 'hubcache lock'), verifying "
                  "every sha256, and pin its refs")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  app->add_option("--upstream", options->upstream, "The Hub to fetch from")
      ->type_name("URL")
      ->capture_default_str();
  app->add_option("--upstream-ca", options->upstream_ca,
                  "Trust these CAs (PEM) for https upstreams instead of the system's")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  add_allow_host_option(*app, options->allow_hosts,
                        "Also follow the upstream's redirects to origins matching PATTERN "
                        "([http(s)://]HOST[:PORT], as for serve); a manifest's URLs are allowed");
  app->add_option("--jobs,-j", options->jobs, "Files fetched at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app->add_option("--retries", options->retries, "Retries after 429/5xx/broken transfers")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  app->add_flag("--check", options->check,
                "Report which branches moved upstream since they were recorded (no bodies "
                "fetched, nothing stored); exit 3 if any did");
  app->add_flag("--json", options->json, "Print JSON on stdout (and no progress)");
  app->add_option("--publish", options->publish,
                  "Then publish the store to this bucket for a fleet (blobs, then metadata, then "
                  "refs); with --check, report drift against the bucket")
      ->type_name("s3://BUCKET/PREFIX")
      ->check(check_s3_url);
  add_remote_options(*app, options->remote,
                     "Fill the local store from this bucket before asking the upstream (a node warming up)");
  app->footer(
      "Manifest lines ('#' starts a comment):\n"
      "  [model:|dataset:|space:]org/name[@revision] [include=GLOB,...] [exclude=GLOB,...]\n"
      "  https://host/path [sha256=HEX]\n"
      "Globs are huggingface_hub's allow/ignore patterns. HF_TOKEN, if set, is sent to the Hub.\n"
      "Exit status: 0 all present, 1 an entry failed (the others still ran), 2 a bad manifest "
      "(nothing fetched); with --check, 0 nothing moved, 3 a branch moved, 1 a check failed.");
  return {app, [&global, options] { return run_preload_command(global, *options); }};
}

} // namespace cli
