// The store's interception CA (DESIGN.md, "src/proxy"): an EC P-256 certificate authority
// made on first use in STORE/ca/, and leaf certificates for the host names clients CONNECT
// to, signed by it and kept in memory. Clients trust it through the bundle `hubcache ca
// --bundle` writes (system CAs + this one). OpenSSL only: no Asio here.
#pragma once

#include "util/result.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace proxy {

// A leaf certificate and its private key, PEM.
struct LeafCertificate {
  std::string certificate_pem;
  std::string key_pem;
};

// Safe from any thread; any number of processes may open one folder at once (the first
// creates the CA, under a lock, and the others read it).
class CertificateAuthority {
public:
  // Opens the CA in `dir` (STORE/ca), creating it if missing: ca.pem (the certificate, 0644)
  // and ca-key.pem (the key, 0600, readable by the owner only).
  static util::Result<std::unique_ptr<CertificateAuthority>> open_or_create(
      const std::filesystem::path& dir);
  ~CertificateAuthority();
  CertificateAuthority(const CertificateAuthority&) = delete;
  CertificateAuthority& operator=(const CertificateAuthority&) = delete;

  const std::filesystem::path& certificate_path() const { return m_certificate_path; }
  const std::string& certificate_pem() const { return m_certificate_pem; }

  // The leaf for `host` (a DNS name or an IP literal, as the client asked for it), made on
  // first use: subjectAltName = the host, serverAuth, valid from a day ago for 397 days.
  util::Result<std::shared_ptr<const LeafCertificate>> leaf_for(const std::string& host);

private:
  struct Keys;
  CertificateAuthority(std::filesystem::path certificate_path, std::string certificate_pem,
                       std::unique_ptr<Keys> keys);

  std::filesystem::path m_certificate_path;
  std::string m_certificate_pem;
  std::unique_ptr<Keys> m_keys;
  std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<const LeafCertificate>> m_leaves;
};

// System CAs (`system_bundle`, e.g. /etc/ssl/certs/ca-certificates.crt; skipped if it does
// not exist) followed by `ca`, written atomically to `out`: what REQUESTS_CA_BUNDLE,
// SSL_CERT_FILE, NODE_EXTRA_CA_CERTS and PIP_CERT point at.
util::Result<void> write_bundle(const CertificateAuthority& ca,
                                const std::filesystem::path& system_bundle,
                                const std::filesystem::path& out);

// Where Debian and most distributions keep the system CAs.
std::filesystem::path default_system_bundle();

} // namespace proxy
