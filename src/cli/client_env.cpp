#include "cli/client_env.hpp"

#include "proxy/certificate_authority.hpp"

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

util::Result<std::filesystem::path> write_client_bundle(const std::filesystem::path& ca_dir) {
  auto ca = proxy::CertificateAuthority::open_or_create(ca_dir);
  if (!ca) return tl::unexpected(ca.error());
  const auto bundle = std::filesystem::absolute(ca_dir / "bundle.pem");
  if (auto written = proxy::write_bundle(**ca, proxy::default_system_bundle(), bundle); !written) {
    return tl::unexpected(written.error());
  }
  return bundle;
}

} // namespace cli
