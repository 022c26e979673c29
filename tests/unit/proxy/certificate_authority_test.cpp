#include "proxy/certificate_authority.hpp"
#include "testutil.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, X509Free>;

Cert parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Cert cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// Verifies `leaf` against `ca` as a TLS client would, with OpenSSL's strict checks, for
// `host`. Returns the verification error, 0 if fine.
int verify(const std::string& ca_pem, const std::string& leaf_pem, const std::string& host) {
  auto ca = parse(ca_pem);
  auto leaf = parse(leaf_pem);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  X509_STORE_CTX_init(context, store, leaf.get(), nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context);
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
  ASN1_OCTET_STRING* address = a2i_IPADDRESS(host.c_str());
  const bool is_ip = address != nullptr;
  ASN1_OCTET_STRING_free(address);
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  const int ok = X509_verify_cert(context);
  const int error = ok == 1 ? 0 : X509_STORE_CTX_get_error(context);
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  return ok == 1 ? 0 : (error == 0 ? -1 : error);
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 0777;
}

} // namespace

TEST(ProxyCertificateAuthority, CreatedOnceWithAPrivateKey) {
  testutil::TempDir dir;
  auto ca = proxy::CertificateAuthority::open_or_create(dir.path() / "ca");
  ASSERT_TRUE(ca) << ca.error().message;
  EXPECT_EQ((*ca)->certificate_path(), dir.path() / "ca" / "ca.pem");
  EXPECT_EQ(mode_of(dir.path() / "ca" / "ca-key.pem"), 0600u);
  EXPECT_EQ(mode_of(dir.path() / "ca" / "ca.pem"), 0644u);
  auto cert = parse((*ca)->certificate_pem());
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(cert.get())), EVP_PKEY_EC);

  auto again = proxy::CertificateAuthority::open_or_create(dir.path() / "ca");
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->certificate_pem(), (*ca)->certificate_pem());
}

TEST(ProxyCertificateAuthority, LeavesVerifyForTheirHostOnly) {
  testutil::TempDir dir;
  auto ca = proxy::CertificateAuthority::open_or_create(dir.path());
  ASSERT_TRUE(ca);
  auto leaf = (*ca)->leaf_for("cdn-lfs.example.test");
  ASSERT_TRUE(leaf) << leaf.error().message;
  EXPECT_EQ(verify((*ca)->certificate_pem(), (*leaf)->certificate_pem, "cdn-lfs.example.test"), 0);
  EXPECT_EQ(verify((*ca)->certificate_pem(), (*leaf)->certificate_pem, "other.example.test"),
            X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_NE((*leaf)->key_pem.find("PRIVATE KEY"), std::string::npos);

  auto ip = (*ca)->leaf_for("127.0.0.1");
  ASSERT_TRUE(ip);
  EXPECT_EQ(verify((*ca)->certificate_pem(), (*ip)->certificate_pem, "127.0.0.1"), 0);

  // The same host twice: the same leaf, made once.
  auto same = (*ca)->leaf_for("cdn-lfs.example.test");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->get(), leaf->get());
}

TEST(ProxyCertificateAuthority, AnotherCaDoesNotVouchForTheLeaf) {
  testutil::TempDir one;
  testutil::TempDir two;
  auto first = proxy::CertificateAuthority::open_or_create(one.path());
  auto second = proxy::CertificateAuthority::open_or_create(two.path());
  ASSERT_TRUE(first && second);
  auto leaf = (*first)->leaf_for("huggingface.co");
  ASSERT_TRUE(leaf);
  EXPECT_NE(verify((*second)->certificate_pem(), (*leaf)->certificate_pem, "huggingface.co"), 0);
}

TEST(ProxyCertificateAuthority, AMismatchedKeyIsReportedNotReplaced) {
  testutil::TempDir one;
  testutil::TempDir two;
  ASSERT_TRUE(proxy::CertificateAuthority::open_or_create(one.path()));
  ASSERT_TRUE(proxy::CertificateAuthority::open_or_create(two.path()));
  std::filesystem::copy_file(two.path() / "ca-key.pem", one.path() / "ca-key.pem",
                             std::filesystem::copy_options::overwrite_existing);
  const auto before = testutil::read_file(one.path() / "ca.pem");
  auto broken = proxy::CertificateAuthority::open_or_create(one.path());
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, util::Errc::corrupt);
  EXPECT_NE(broken.error().message.find("do not make a pair"), std::string::npos);
  EXPECT_EQ(testutil::read_file(one.path() / "ca.pem"), before);
}

TEST(ProxyCertificateAuthority, BundleIsTheSystemCasThenOurs) {
  testutil::TempDir dir;
  auto ca = proxy::CertificateAuthority::open_or_create(dir.path() / "ca");
  ASSERT_TRUE(ca);
  testutil::write_file(dir.path() / "system.pem", "SYSTEM CAS");
  ASSERT_TRUE(proxy::write_bundle(**ca, dir.path() / "system.pem", dir.path() / "bundle.pem"));
  const auto bundle = testutil::read_file(dir.path() / "bundle.pem");
  EXPECT_EQ(bundle.rfind("SYSTEM CAS\n", 0), 0u);
  EXPECT_NE(bundle.find((*ca)->certificate_pem()), std::string::npos);
  // No system bundle: ours alone.
  ASSERT_TRUE(proxy::write_bundle(**ca, dir.path() / "absent.pem", dir.path() / "only.pem"));
  EXPECT_EQ(testutil::read_file(dir.path() / "only.pem").find("SYSTEM"), std::string::npos);
}
