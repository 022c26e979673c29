#include "engine/client_bundle.hpp"

#include "proxy/certificate_authority.hpp"

namespace engine {

util::Result<std::filesystem::path> write_client_bundle(const std::filesystem::path& ca_dir) {
  auto ca = proxy::CertificateAuthority::open_or_create(ca_dir);
  if (!ca) return tl::unexpected(ca.error());
  const auto bundle = std::filesystem::absolute(ca_dir / "bundle.pem");
  if (auto written = proxy::write_bundle(**ca, proxy::default_system_bundle(), bundle); !written) {
    return tl::unexpected(written.error());
  }
  return bundle;
}

} // namespace engine
