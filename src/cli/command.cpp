#include "cli/command.hpp"

#include "util/duration.hpp"
#include "util/size.hpp"
#include "util/utf8.hpp"

#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>

namespace cli {

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

void add_allow_host_option(CLI::App& app, upstream::AllowList& out, const std::string& help) {
  app.add_option_function<std::vector<std::string>>(
         "--allow-host",
         [&out](const std::vector<std::string>& texts) {
           for (const auto& text : texts) {
             auto pattern = upstream::OriginPattern::parse(text);
             if (!pattern) throw CLI::ValidationError("--allow-host", pattern.error().message);
             out.push_back(std::move(*pattern));
           }
         },
         help)
      ->type_name("PATTERN")
      ->allow_extra_args(false);  // one value per flag: a MANIFEST after it stays positional
}

std::filesystem::path default_store_dir() {
  if (const char* store = std::getenv("HUBCACHE_STORE"); store && *store) return store;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "hubcache";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".cache" / "hubcache";
  }
  return std::filesystem::path(".hubcache");
}

void add_store_option(CLI::App& app, GlobalOptions& global) {
  // The environment is read once, into the default (main.cpp), not with CLI11's envname:
  // with the option on two levels, envname would let the variable override a --store flag.
  app.add_option("--store", global.store, "Store directory (env HUBCACHE_STORE)")
      ->type_name("DIR")
      ->capture_default_str();
}

void add_size_option(CLI::App& app, const std::string& name, std::optional<std::uint64_t>& out,
                     const std::string& help, const std::string& env) {
  auto* option = app.add_option_function<std::string>(
      name,
      [&out, name](const std::string& text) {
        const auto size = util::parse_size(text);
        if (!size) {
          throw CLI::ValidationError(name, "'" + text + "' is not a size (try 20G, 500M or 1.5Ti)");
        }
        out = *size;
      },
      help);
  option->type_name("SIZE");
  if (!env.empty()) option->envname(env);
}

int report(const util::Error& error) {
  // Messages name outside input (URLs, paths, upstream text): printed safe for a terminal.
  std::fprintf(stderr, "hubcache: error: %s\n",
               util::printable(error.message, std::string_view::npos).c_str());
  return k_exit_failure;
}

int report(const engine::OpenError& error) {
  report(util::Error{util::Errc::invalid_argument, error.message});
  return error.kind == engine::OpenError::Kind::usage ? k_exit_usage : k_exit_failure;
}

util::Result<std::unique_ptr<store::Store>> open_existing_store(const GlobalOptions& global) {
  return store::Store::open(global.store, store::OpenMode::must_exist);
}

} // namespace cli
