// The store's interception CA (DESIGN.md, "src/proxy"): an EC P-256 certificate authority
// made on first use in STORE/ca/, and leaf certificates for the host names clients CONNECT
// to, signed by it; the ones used last are kept in memory. Clients trust it through the
// bundle `hubcache ca --bundle` writes (system CAs + this one). OpenSSL only: no Asio here.
#pragma once

#include "util/host_name.hpp"
#include "util/lru_map.hpp"
#include "util/result.hpp"

#include <cstddef>
#include <filesystem>
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
  // Leaves kept in memory. Each costs a few KB and a P-256 key pair and signature (well
  // under a millisecond) to make again, and a test suite reaches tens of hosts: 512 keeps
  // every leaf a real suite uses while a client CONNECTing to endless names cannot grow the
  // process (issue 14: 6,000 hosts took 135 MB when leaves were kept forever).
  static constexpr std::size_t k_max_leaves = 512;

  // Opens the CA in `dir` (STORE/ca), creating it if missing: ca.pem (the certificate, 0644)
  // and ca-key.pem (the key, 0600, readable by the owner only). It keeps the `max_leaves`
  // leaves used last.
  static util::Result<std::unique_ptr<CertificateAuthority>> open_or_create(
      const std::filesystem::path& dir, std::size_t max_leaves = k_max_leaves);
  ~CertificateAuthority();
  CertificateAuthority(const CertificateAuthority&) = delete;
  CertificateAuthority& operator=(const CertificateAuthority&) = delete;

  const std::filesystem::path& certificate_path() const { return m_certificate_path; }
  const std::string& certificate_pem() const { return m_certificate_pem; }

  // The leaf for `host`, made on first use (or again once it was evicted): subjectAltName =
  // exactly the host (one dNSName or iPAddress), serverAuth, valid from a day ago for 397
  // days. Errc::io if OpenSSL fails.
  util::Result<std::shared_ptr<const LeafCertificate>> leaf_for(const util::HostName& host);
  // How many leaves are kept now (at most max_leaves).
  std::size_t cached_leaves() const;

private:
  struct Keys;
  CertificateAuthority(std::filesystem::path certificate_path, std::string certificate_pem,
                       std::unique_ptr<Keys> keys, std::size_t max_leaves);

  std::filesystem::path m_certificate_path;
  std::string m_certificate_pem;
  std::unique_ptr<Keys> m_keys;
  mutable std::mutex m_mutex;
  util::LruMap<std::string, std::shared_ptr<const LeafCertificate>> m_leaves;  // by host text
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
