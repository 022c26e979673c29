#include "cli/client_env.hpp"

#include "cache/side_requests.hpp"

#include <algorithm>

namespace cli {

Environment client_environment(const std::string& endpoint, const std::filesystem::path& bundle) {
  const std::string loopback = "localhost,127.0.0.1,::1";
  const std::string ca = bundle.string();
  return {
      {"HF_ENDPOINT", endpoint},
      {"HTTP_PROXY", endpoint},        {"http_proxy", endpoint},
      {"HTTPS_PROXY", endpoint},       {"https_proxy", endpoint},
      {"NO_PROXY", loopback},          {"no_proxy", loopback},
      {"REQUESTS_CA_BUNDLE", ca},      // requests, huggingface_hub 0.x
      {"SSL_CERT_FILE", ca},           // Python's ssl (httpx, urllib), OpenSSL tools
      {"CURL_CA_BUNDLE", ca},          // curl, requests
      {"NODE_EXTRA_CA_CERTS", ca},     // Node
      {"PIP_CERT", ca},                // pip
      {"GIT_SSL_CAINFO", ca},          // git and git-lfs (no other variable reaches them)
  };
}

Environment quiet_environment() {
  Environment out;
  const auto add = [&out](std::string_view assignment) {
    const auto equals = assignment.find('=');
    std::pair<std::string, std::string> entry{std::string(assignment.substr(0, equals)),
                                              std::string(assignment.substr(equals + 1))};
    if (std::find(out.begin(), out.end(), entry) == out.end()) out.push_back(std::move(entry));
  };
  for (const auto& side : cache::side_requests()) {
    if (!side.quiet.empty()) add(side.quiet);
  }
  // Beyond the table: the conventions older or other tools read, and the self-update checks
  // of the package managers a suite may run through the proxy.
  add("DISABLE_TELEMETRY=1");                // transformers 4, older huggingface_hub
  add("DO_NOT_TRACK=1");                     // huggingface_hub, and the consoledonottrack.com convention
  add("PIP_DISABLE_PIP_VERSION_CHECK=1");    // pip's check of pypi.org/simple/pip/
  add("NPM_CONFIG_UPDATE_NOTIFIER=false");   // npm's check of the registry
  return out;
}

} // namespace cli
