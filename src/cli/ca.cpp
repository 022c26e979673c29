// `hubcache ca [--bundle FILE]`: where the store's interception CA is (made on first use),
// and a CA bundle for clients: the system CAs plus ours.
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "proxy/certificate_authority.hpp"

#include <cstdio>

#include <CLI/CLI.hpp>

namespace cli {

namespace {

struct CaOptions {
  std::string bundle;
  bool json = false;
};

int run_ca(const GlobalOptions& global, const CaOptions& options) {
  // Like every command but the engine's (serve, run, preload) and import: a mistyped --store
  // is said, not silently made (issue 15).
  auto store = open_existing_store(global);
  if (!store) return report(store.error());
  auto ca = proxy::CertificateAuthority::open_or_create((*store)->layout().ca_dir());
  if (!ca) return report(ca.error());
  if (!options.bundle.empty()) {
    if (auto written = proxy::write_bundle(**ca, proxy::default_system_bundle(), options.bundle);
        !written) {
      return report(written.error());
    }
  }
  if (options.json) {
    nlohmann::json out = {{"certificate", (*ca)->certificate_path().string()}};
    if (!options.bundle.empty()) out["bundle"] = options.bundle;
    print_json(out);
  } else {
    std::printf("%s\n", (*ca)->certificate_path().c_str());
    if (!options.bundle.empty()) std::printf("%s\n", options.bundle.c_str());
  }
  return k_exit_ok;
}

} // namespace

Command add_ca(CLI::App& parent, GlobalOptions& global) {
  auto options = std::make_shared<CaOptions>();
  auto* app = parent.add_subcommand(
      "ca", "Print the path of the store's interception CA certificate (made on first use)");
  add_store_option(*app, global);
  app->add_option("--bundle", options->bundle,
                  "Also write the system CAs plus this CA to FILE (for REQUESTS_CA_BUNDLE, ...)")
      ->type_name("FILE");
  app->add_flag("--json", options->json, "Print JSON on stdout");
  return {app, [&global, options] { return run_ca(global, *options); }};
}

} // namespace cli
