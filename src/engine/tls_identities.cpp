#include "engine/tls_identities.hpp"

#include "proxy/certificate_authority.hpp"

#include <memory>
#include <mutex>

namespace engine {

namespace {

struct CaSlot {
  std::mutex mutex;
  std::unique_ptr<proxy::CertificateAuthority> authority;
};

} // namespace

http::TlsIdentities leaf_certificates(const std::filesystem::path& ca_dir,
                                      std::function<void(const std::string&)> notice) {
  return [ca_dir, notice = std::move(notice), ca = std::make_shared<CaSlot>()](
             const util::HostName& host) -> std::optional<http::TlsIdentity> {
    std::lock_guard lock(ca->mutex);
    if (!ca->authority) {
      auto opened = proxy::CertificateAuthority::open_or_create(ca_dir);
      if (!opened) {
        notice("CONNECT " + host.text() + " refused: " + opened.error().message);
        return std::nullopt;
      }
      ca->authority = std::move(*opened);
    }
    auto leaf = ca->authority->leaf_for(host);
    if (!leaf) {
      notice("CONNECT " + host.text() + " refused: " + leaf.error().message);
      return std::nullopt;
    }
    return http::TlsIdentity{(*leaf)->certificate_pem, (*leaf)->key_pem};
  };
}

} // namespace engine
