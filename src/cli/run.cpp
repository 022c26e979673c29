// `hubcache run -- CMD ARGS...`: the engine on a free loopback port for the length of one
// command, which finds it through HF_ENDPOINT; then a summary of what was served.
#include "cache/run_tally.hpp"
#include "cli/client_env.hpp"
#include "cli/command.hpp"
#include "cli/engine_flags.hpp"
#include "cli/run_summary.hpp"
#include "engine/client_bundle.hpp"
#include "engine/engine.hpp"
#include "upstream/url.hpp"
#include "util/clock.hpp"
#include "util/file.hpp"
#include "util/json_text.hpp"
#include "util/size.hpp"
#include "util/utf8.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

extern char** environ;

namespace cli {

namespace {

constexpr int k_exit_strict_miss = 3;

// --strict: what fails the run. `needed`: a miss of anything but a side request; `all`: side
// requests too (what replay answered for them itself, not from the store).
enum class Strict { off, needed, all };

struct RunOptions {
  EngineFlags flags;
  std::string report;
  std::string strict;  // "", "needed" (a bare --strict) or "all"
  bool quiet_env = true;
  std::vector<std::string> command;
};

Strict strictness(const std::string& text) {
  if (text == "all") return Strict::all;
  return text.empty() ? Strict::off : Strict::needed;
}

std::atomic<pid_t> g_child{0};

// Signals for hubcache go to the command; it decides when to stop, and hubcache follows.
// A terminal's Ctrl-C (SI_KERNEL) already reached the whole foreground group: not sent twice.
void forward_signal(int signal, siginfo_t* info, void*) {
  const pid_t child = g_child.load();
  if (child <= 0) return;
  if ((signal == SIGINT || signal == SIGQUIT) && info && info->si_code == SI_KERNEL) return;
  ::kill(child, signal);
}

constexpr int k_forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void install_forwarding() {
  struct sigaction action {};
  action.sa_sigaction = forward_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int signal : k_forwarded) ::sigaction(signal, &action, nullptr);
}

// The environment of the command: ours, with the overrides replacing any same-named entries,
// and the defaults added where ours has no such entry (a variable the user set wins).
std::vector<std::string> child_environment(const Environment& overrides,
                                           const Environment& defaults) {
  std::vector<std::string> out;
  const auto named = [](const Environment& list, std::string_view name) {
    for (const auto& [key, value] : list) {
      if (name == key) return true;
    }
    return false;
  };
  std::vector<std::string> present;
  for (char** entry = environ; *entry; ++entry) {
    const std::string_view text(*entry);
    const auto name = text.substr(0, text.find('='));
    present.emplace_back(name);
    if (!named(overrides, name)) out.emplace_back(text);
  }
  for (const auto& [key, value] : overrides) out.push_back(key + "=" + value);
  for (const auto& [key, value] : defaults) {
    if (std::find(present.begin(), present.end(), key) == present.end() && !named(overrides, key)) {
      out.push_back(key + "=" + value);
    }
  }
  return out;
}

util::Result<pid_t> spawn(const std::vector<std::string>& command, const std::vector<std::string>& env) {
  std::vector<char*> argv;
  for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : env) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // The server ignores SIGPIPE; the command gets the defaults back (`| head` must work).
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signal : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&defaults, signal);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0], nullptr, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    return util::fail(util::Errc::invalid_argument,
                      "cannot run '" + command.front() + "': " + std::strerror(rc));
  }
  return pid;
}

// The command's status as a shell reports it: its exit code, or 128 + the signal.
int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return k_exit_failure;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return k_exit_failure;
}

// Appends `markdown` to the file $GITHUB_STEP_SUMMARY names, when it is set: a summary where
// CI shows it. A failure to write is said and does not change the run's status.
void append_step_summary(const std::string& markdown) {
  const char* path = std::getenv("GITHUB_STEP_SUMMARY");
  if (!path || !*path) return;
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << markdown;
  if (!out) {
    std::fprintf(stderr, "hubcache: warning: cannot append to $GITHUB_STEP_SUMMARY (%s)\n",
                 util::printable(path).c_str());
  }
}

int run_command(const GlobalOptions& global, const RunOptions& options) {
  const std::string origin = upstream::parse_url(options.flags.engine.upstream)
                                 .map([](const upstream::Url& u) { return u.origin(); })
                                 .value_or(options.flags.engine.upstream);
  cache::RunTally tally(origin);
  engine::Hooks hooks;
  hooks.access = [&tally](const http::AccessRecord& r) { tally.add(r); };
  auto engine = engine::Engine::open(engine_options(global, options.flags), std::move(hooks));
  if (!engine) return report(engine.error());
  const std::string endpoint = "http://127.0.0.1:" + std::to_string((*engine)->port());
  (*engine)->start();
  const auto started = util::SystemClock::instance().now();

  int status = k_exit_failure;
  auto bundle = engine::write_client_bundle((*engine)->store_root() / "ca");
  if (!bundle) {
    (*engine)->finish();
    return report(bundle.error());
  }
  auto child = spawn(options.command,
                     child_environment(client_environment(endpoint, *bundle),
                                       options.quiet_env ? quiet_environment() : Environment{}));
  if (child) {
    g_child = *child;
    install_forwarding();
    status = wait_for(*child);
    g_child = 0;
  }
  (*engine)->finish();
  if (!child) {
    std::fprintf(stderr, "hubcache: error: %s\n", child.error().message.c_str());
    return 127;  // as a shell says "command not found"
  }

  RunOutcome run;
  run.totals = tally.totals();
  run.totals.bytes_from_upstream = (*engine)->counter("hubcache_upstream_bytes_total");
  run.misses = tally.misses();
  run.side_requests = tally.side_requests();
  run.retries = (*engine)->counter("hubcache_upstream_retries_total");
  run.origin = origin;
  run.mode = options.flags.engine.mode;
  print_summary(run);
  append_step_summary(step_summary_markdown(run, options.command));
  const auto& totals = run.totals;
  if (!options.report.empty()) {
    nlohmann::json report = {
        {"command", options.command},
        {"exit_status", status},
        {"mode", std::string(cache::to_string(options.flags.engine.mode))},
        {"upstream", options.flags.engine.upstream},
        {"store", (*engine)->store_root().string()},
        {"endpoint", endpoint},
        {"seconds", static_cast<double>(util::SystemClock::instance().now() - started) / 1000.0},
        {"requests", totals.requests},
        {"hits", totals.hits},
        {"stored", totals.stored},
        {"misses", totals.misses},
        {"optional", totals.optional},
        {"stale", totals.stale},
        {"bytes_from_store", totals.bytes_from_store},
        {"bytes_from_upstream", totals.bytes_from_upstream},
        {"retries", run.retries},
        {"missed", nlohmann::json::array()},
        {"side_requests", nlohmann::json::array()},
        {"served", nlohmann::json::array()}};
    for (const auto& r : run.misses) report["missed"].push_back(request_json(r, run));
    for (const auto& r : run.side_requests) report["side_requests"].push_back(request_json(r, run));
    for (const auto& r : tally.requests()) report["served"].push_back(request_json(r, run));
    if (auto written =
            util::write_file_atomically(options.report, util::to_json_text(report, 2) + "\n");
        !written) {
      return cli::report(written.error());
    }
  }
  const auto strict = strictness(options.strict);
  // --strict=all: also the side requests answered by hubcache itself, not from the store or
  // the upstream.
  const auto made_up = static_cast<std::uint64_t>(
      std::count_if(run.side_requests.begin(), run.side_requests.end(), [](const auto& side) {
        return side.cache != "hit" && side.cache != "stored" && side.cache != "stale";
      }));
  const std::uint64_t failing =
      strict == Strict::off ? 0 : totals.misses + (strict == Strict::all ? made_up : 0);
  if (failing > 0) {
    std::fprintf(stderr, "hubcache: --strict%s: %llu request%s missed; exiting 3\n",
                 strict == Strict::all ? "=all" : "", static_cast<unsigned long long>(failing),
                 failing == 1 ? "" : "s");
    return k_exit_strict_miss;
  }
  return status;
}

// CLI11 builds "Usage: hubcache run [OPTIONS]" from the flags alone; the command after --
// is taken off before CLI11 parses (main.cpp), so the usage line names it here (issue 15).
class RunUsage final : public CLI::Formatter {
public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string line = CLI::Formatter::make_usage(app, std::move(name));
    while (!line.empty() && line.back() == '\n') line.pop_back();
    return line + " -- CMD [ARGS...]\n";
  }
};

} // namespace

Command add_run(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<RunOptions>();
  options->flags.engine.listen = "127.0.0.1:0";
  auto* app = parent.add_subcommand(
      "run", "Run a command with HF_ENDPOINT and HTTPS_PROXY on hubcache: record its downloads, "
             "or replay them");
  app->formatter(std::make_shared<RunUsage>());
  add_store_option(*app, global);
  add_engine_options(*app, options->flags);
  app->add_option("--report", options->report, "Write what was served as JSON to FILE")
      ->type_name("FILE");
  app->add_flag("--strict{needed}", options->strict,
                "Exit 3 if any request missed: not recorded (replay), not an allowed origin, or "
                "upstream failed. Side requests (telemetry, update checks, download counters, "
                "the dataset viewer) are optional and never fail it; --strict=all counts them "
                "too")
      ->check(CLI::IsMember({"needed", "all"}));
  app->add_flag("!--no-quiet-env", options->quiet_env,
                "Do not set the variables that stop telemetry, update checks and download "
                "counters (see 'hubcache env')");
  app->footer("The command follows --, passed on verbatim. It gets HF_ENDPOINT, HTTP(S)_PROXY and "
              "NO_PROXY (both cases), and REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE, "
              "NODE_EXTRA_CA_CERTS, PIP_CERT, GIT_SSL_CAINFO pointing at STORE/ca/bundle.pem; and, unless set "
              "already or --no-quiet-env, the variables that stop the ecosystem's side requests "
              "(HF_HUB_DISABLE_TELEMETRY=1, HF_HUB_DISABLE_UPDATE_CHECK=1, "
              "HF_UPDATE_DOWNLOAD_COUNTS=0, DO_NOT_TRACK=1, ...: 'hubcache env' lists them).\n"
              "With $GITHUB_STEP_SUMMARY set, a Markdown summary is appended to it.\n"
              "Exit status: the command's own (128+N if killed by signal N), 3 with --strict when "
              "anything missed, 127 if the command cannot be started.");
  return {app, [&global, options]() -> int {
            options->command = global.command;
            if (options->command.empty()) {
              std::fprintf(stderr, "hubcache: error: a command to run is required, after -- "
                                   "(see 'hubcache run --help')\n");
              return static_cast<int>(k_exit_usage);
            }
            return run_command(global, *options);
          }};
}

} // namespace cli
