#include "proxy/certificate_authority.hpp"

#include "util/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace proxy {

namespace fs = std::filesystem;

namespace {

constexpr long k_day = 24 * 60 * 60;
constexpr long k_ca_days = 3650;
constexpr long k_leaf_days = 397;  // the longest browsers and Apple's stack still accept

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

util::Error openssl_error(const std::string& what) {
  const unsigned long code = ERR_get_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return {util::Errc::io, what + ": " + text};
}

util::Result<Key> new_key() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) return tl::unexpected(openssl_error("cannot make an EC P-256 key"));
  return key;
}

bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (!extension) return false;
  const bool added = X509_add_ext(cert, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return added;
}

// A random positive 127-bit serial, as RFC 5280 wants them unpredictable.
bool set_random_serial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return false;
  bytes[0] &= 0x7f;
  BIGNUM* number = BN_bin2bn(bytes, sizeof bytes, nullptr);
  if (!number) return false;
  const bool set = BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert)) != nullptr;
  BN_free(number);
  return set;
}

util::Result<Cert> new_certificate(EVP_PKEY* subject_key, const std::string& common_name,
                                   long days) {
  Cert cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !set_random_serial(cert.get()) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -k_day) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * k_day) ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return tl::unexpected(openssl_error("cannot make a certificate"));
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("hubcache"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  return cert;
}

util::Result<std::string> pem_of(const std::function<int(BIO*)>& write) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return tl::unexpected(openssl_error("cannot write PEM"));
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

util::Result<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return util::fail(util::Errc::io, "cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `content` to `path` with `mode`, through a temporary file renamed into place.
util::Result<void> write_private(const fs::path& path, const std::string& content, mode_t mode) {
  const fs::path temp = path.string() + ".tmp";
  util::UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return util::fail_errno("cannot create " + temp.string());
  if (::fchmod(fd.get(), mode) != 0) return util::fail_errno("cannot chmod " + temp.string());
  auto written = util::write_all(
      fd.get(), std::span(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()),
      temp.c_str());
  if (!written) return written;
  if (::fsync(fd.get()) != 0) return util::fail_errno("cannot fsync " + temp.string());
  if (::rename(temp.c_str(), path.c_str()) != 0) return util::fail_errno("cannot write " + path.string());
  return {};
}

struct Created {
  std::string certificate_pem;
  std::string key_pem;
};

util::Result<Created> create_ca() {
  auto key = new_key();
  if (!key) return tl::unexpected(key.error());
  auto cert = new_certificate(key->get(), "hubcache interception CA", k_ca_days);
  if (!cert) return tl::unexpected(cert.error());
  X509_set_issuer_name(cert->get(), X509_get_subject_name(cert->get()));
  if (!add_extension(cert->get(), cert->get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_extension(cert->get(), cert->get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_extension(cert->get(), cert->get(), NID_subject_key_identifier, "hash") ||
      !add_extension(cert->get(), cert->get(), NID_authority_key_identifier, "keyid:always") ||
      X509_sign(cert->get(), key->get(), EVP_sha256()) == 0) {
    return tl::unexpected(openssl_error("cannot sign the CA certificate"));
  }
  auto cert_pem = pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, cert->get()); });
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  auto key_pem = pem_of([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key->get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!key_pem) return tl::unexpected(key_pem.error());
  return Created{*cert_pem, *key_pem};
}

struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

// subjectAltName = exactly `host`, made with the X509v3 API: a value pasted into an OpenSSL
// config string ("DNS:" + host) let "a,DNS:*.example.com" add a wildcard (issue 14).
bool add_subject_alt_name(X509* cert, const util::HostName& host) {
  std::unique_ptr<GENERAL_NAMES, GeneralNamesFree> names(sk_GENERAL_NAME_new_null());
  GENERAL_NAME* name = GENERAL_NAME_new();
  if (!names || !name) {
    GENERAL_NAME_free(name);
    return false;
  }
  if (host.is_ip()) {
    ASN1_OCTET_STRING* address = ASN1_OCTET_STRING_new();
    const auto bytes = host.address();
    if (!address ||
        ASN1_OCTET_STRING_set(address, bytes.data(), static_cast<int>(bytes.size())) != 1) {
      ASN1_OCTET_STRING_free(address);
      GENERAL_NAME_free(name);
      return false;
    }
    GENERAL_NAME_set0_value(name, GEN_IPADD, address);
  } else {
    ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
    if (!dns ||
        ASN1_STRING_set(dns, host.text().data(), static_cast<int>(host.text().size())) != 1) {
      ASN1_IA5STRING_free(dns);
      GENERAL_NAME_free(name);
      return false;
    }
    GENERAL_NAME_set0_value(name, GEN_DNS, dns);
  }
  if (sk_GENERAL_NAME_push(names.get(), name) == 0) {
    GENERAL_NAME_free(name);
    return false;
  }
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

} // namespace

struct CertificateAuthority::Keys {
  Key key;
  Cert cert;
};

CertificateAuthority::CertificateAuthority(fs::path certificate_path, std::string certificate_pem,
                                           std::unique_ptr<Keys> keys, std::size_t max_leaves)
    : m_certificate_path(std::move(certificate_path)),
      m_certificate_pem(std::move(certificate_pem)), m_keys(std::move(keys)),
      m_leaves(max_leaves) {}

CertificateAuthority::~CertificateAuthority() = default;

util::Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::open_or_create(
    const fs::path& dir, std::size_t max_leaves) {
  if (auto made = util::make_dirs(dir); !made) return tl::unexpected(made.error());
  ::chmod(dir.c_str(), 0700);
  const fs::path cert_path = dir / "ca.pem";
  const fs::path key_path = dir / "ca-key.pem";
  {
    // One creator at a time; the others wait, then read what it made.
    util::UniqueFd lock(::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock) return util::fail_errno("cannot open " + (dir / ".lock").string());
    if (::flock(lock.get(), LOCK_EX) != 0) return util::fail_errno("cannot lock " + dir.string());
    std::error_code ec;
    if (!fs::exists(cert_path, ec) || !fs::exists(key_path, ec)) {
      auto created = create_ca();
      if (!created) return tl::unexpected(created.error());
      // The key first: a certificate is never there without its key.
      if (auto w = write_private(key_path, created->key_pem, 0600); !w) return tl::unexpected(w.error());
      if (auto w = write_private(cert_path, created->certificate_pem, 0644); !w) {
        return tl::unexpected(w.error());
      }
      if (auto synced = util::fsync_dir(dir); !synced) return tl::unexpected(synced.error());
    }
  }
  auto cert_pem = read_text(cert_path);
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  auto key_pem = read_text(key_path);
  if (!key_pem) return tl::unexpected(key_pem.error());
  auto keys = std::make_unique<Keys>();
  Bio cert_bio(BIO_new_mem_buf(cert_pem->data(), static_cast<int>(cert_pem->size())));
  keys->cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  Bio key_bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  keys->key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!keys->cert || !keys->key || X509_check_private_key(keys->cert.get(), keys->key.get()) != 1) {
    ERR_clear_error();
    return util::fail(util::Errc::corrupt,
                      "the CA in " + dir.string() +
                          " is damaged (ca.pem and ca-key.pem do not make a pair); remove both "
                          "to make a new one, then hand the new ca.pem to your clients");
  }
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(cert_path, std::move(*cert_pem), std::move(keys), max_leaves));
}

util::Result<std::shared_ptr<const LeafCertificate>> CertificateAuthority::leaf_for(
    const util::HostName& host) {
  const std::string& text = host.text();
  std::lock_guard lock(m_mutex);
  if (auto* found = m_leaves.find(text)) return *found;
  // The CN is informative only (clients match the SAN); it holds at most 64 characters.
  auto key = new_key();
  if (!key) return tl::unexpected(key.error());
  auto cert = new_certificate(key->get(), text.size() <= 64 ? text : "hubcache leaf", k_leaf_days);
  if (!cert) return tl::unexpected(cert.error());
  X509* ca = m_keys->cert.get();
  X509_set_issuer_name(cert->get(), X509_get_subject_name(ca));
  if (!add_extension(cert->get(), ca, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert->get(), ca, NID_key_usage, "critical,digitalSignature") ||
      !add_extension(cert->get(), ca, NID_ext_key_usage, "serverAuth") ||
      !add_subject_alt_name(cert->get(), host) ||
      !add_extension(cert->get(), ca, NID_subject_key_identifier, "hash") ||
      !add_extension(cert->get(), ca, NID_authority_key_identifier, "keyid:always") ||
      X509_sign(cert->get(), m_keys->key.get(), EVP_sha256()) == 0) {
    return tl::unexpected(openssl_error("cannot sign a certificate for " + text));
  }
  auto leaf = std::make_shared<LeafCertificate>();
  auto cert_pem = pem_of([&](BIO* bio) { return PEM_write_bio_X509(bio, cert->get()); });
  auto key_pem = pem_of([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key->get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!cert_pem) return tl::unexpected(cert_pem.error());
  if (!key_pem) return tl::unexpected(key_pem.error());
  leaf->certificate_pem = std::move(*cert_pem);
  leaf->key_pem = std::move(*key_pem);
  m_leaves.put(text, leaf);
  return std::shared_ptr<const LeafCertificate>(leaf);
}

std::size_t CertificateAuthority::cached_leaves() const {
  std::lock_guard lock(m_mutex);
  return m_leaves.size();
}

fs::path default_system_bundle() { return "/etc/ssl/certs/ca-certificates.crt"; }

util::Result<void> write_bundle(const CertificateAuthority& ca, const fs::path& system_bundle,
                                const fs::path& out) {
  std::string content;
  std::error_code ec;
  if (fs::exists(system_bundle, ec)) {
    auto system = read_text(system_bundle);
    if (!system) return tl::unexpected(system.error());
    content = std::move(*system);
    if (!content.empty() && content.back() != '\n') content += '\n';
  }
  content += "# hubcache interception CA (" + ca.certificate_path().string() + ")\n";
  content += ca.certificate_pem();
  return util::write_file_atomically(out, content);
}

} // namespace proxy
