#include "proxy/certificate_authority.hpp"
#include "testutil.hpp"

#include <sys/stat.h>

#include <string>
#include <vector>

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

util::HostName host(const char* text) {
  auto parsed = util::HostName::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed ? *parsed : *util::HostName::parse("invalid.test");
}

// The subjectAltName entries of `pem`, as "DNS:name" or "IP:<n bytes>".
std::vector<std::string> subject_alt_names(const std::string& pem) {
  auto cert = parse(pem);
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const auto* text = reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName));
      const auto length = static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName));
      out.push_back("DNS:" + std::string(text, length));
    } else if (name->type == GEN_IPADD) {
      out.push_back("IP:" + std::to_string(ASN1_STRING_length(name->d.iPAddress)) + " bytes");
    } else {
      out.push_back("other");
    }
  }
  GENERAL_NAMES_free(names);
  return out;
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
  auto leaf = (*ca)->leaf_for(host("cdn-lfs.example.test"));
  ASSERT_TRUE(leaf) << leaf.error().message;
  EXPECT_EQ(verify((*ca)->certificate_pem(), (*leaf)->certificate_pem, "cdn-lfs.example.test"), 0);
  EXPECT_EQ(verify((*ca)->certificate_pem(), (*leaf)->certificate_pem, "other.example.test"),
            X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_NE((*leaf)->key_pem.find("PRIVATE KEY"), std::string::npos);

  auto ip = (*ca)->leaf_for(host("127.0.0.1"));
  ASSERT_TRUE(ip);
  EXPECT_EQ(verify((*ca)->certificate_pem(), (*ip)->certificate_pem, "127.0.0.1"), 0);

  // The same host twice: the same leaf, made once.
  auto same = (*ca)->leaf_for(host("cdn-lfs.example.test"));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->get(), leaf->get());
}

TEST(ProxyCertificateAuthority, AnotherCaDoesNotVouchForTheLeaf) {
  testutil::TempDir one;
  testutil::TempDir two;
  auto first = proxy::CertificateAuthority::open_or_create(one.path());
  auto second = proxy::CertificateAuthority::open_or_create(two.path());
  ASSERT_TRUE(first && second);
  auto leaf = (*first)->leaf_for(host("huggingface.co"));
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

// Issue 14, finding 9: a CONNECT to "a,DNS:*.example.com" minted a wildcard SAN, because the
// host went into an OpenSSL config string. Hosts are HostNames now, which refuse it...
TEST(ProxyCertificateAuthority, AHostileHostIsRefusedBeforeAnyLeaf) {
  for (const char* hostile : {"a,DNS:*.example.com", "*.example.com", "a,IP:127.0.0.1",
                              "a.example, DNS:b.example", "a\nb"}) {
    EXPECT_FALSE(util::HostName::parse(hostile)) << hostile;
  }
}

// ...and the SAN is built as one typed name: exactly the host, nothing else.
TEST(ProxyCertificateAuthority, TheSanOfALeafIsExactlyTheHost) {
  testutil::TempDir dir;
  auto ca = proxy::CertificateAuthority::open_or_create(dir.path());
  ASSERT_TRUE(ca);
  auto dns = (*ca)->leaf_for(host("Cdn-LFS.example.test"));
  ASSERT_TRUE(dns) << dns.error().message;
  EXPECT_EQ(subject_alt_names((*dns)->certificate_pem),
            std::vector<std::string>{"DNS:cdn-lfs.example.test"});
  EXPECT_NE(verify((*ca)->certificate_pem(), (*dns)->certificate_pem, "x.example.test"), 0);

  auto v4 = (*ca)->leaf_for(host("127.0.0.1"));
  ASSERT_TRUE(v4);
  EXPECT_EQ(subject_alt_names((*v4)->certificate_pem), std::vector<std::string>{"IP:4 bytes"});
  EXPECT_EQ(verify((*ca)->certificate_pem(), (*v4)->certificate_pem, "127.0.0.1"), 0);
  EXPECT_NE(verify((*ca)->certificate_pem(), (*v4)->certificate_pem, "127.0.0.2"), 0);

  auto v6 = (*ca)->leaf_for(host("::1"));
  ASSERT_TRUE(v6);
  EXPECT_EQ(subject_alt_names((*v6)->certificate_pem), std::vector<std::string>{"IP:16 bytes"});
  EXPECT_EQ(verify((*ca)->certificate_pem(), (*v6)->certificate_pem, "::1"), 0);
}

TEST(ProxyCertificateAuthority, LeavesAreKeptInABoundedLru) {
  testutil::TempDir dir;
  auto ca = proxy::CertificateAuthority::open_or_create(dir.path(), 2);
  ASSERT_TRUE(ca);
  auto a = (*ca)->leaf_for(host("a.example.test"));
  auto b = (*ca)->leaf_for(host("b.example.test"));
  ASSERT_TRUE(a && b);
  auto a_again = (*ca)->leaf_for(host("a.example.test"));  // a is now the most recent
  ASSERT_TRUE(a_again);
  EXPECT_EQ(a_again->get(), a->get());
  ASSERT_TRUE((*ca)->leaf_for(host("c.example.test")));  // evicts b, the least recent
  EXPECT_EQ((*ca)->cached_leaves(), 2u);
  auto b_again = (*ca)->leaf_for(host("b.example.test"));
  ASSERT_TRUE(b_again);
  EXPECT_NE(b_again->get(), b->get());  // made again
  EXPECT_EQ(verify((*ca)->certificate_pem(), (*b_again)->certificate_pem, "b.example.test"), 0);
  EXPECT_EQ((*ca)->cached_leaves(), 2u);
}

TEST(ProxyCertificateAuthority, TheDefaultBoundHolds) {
  testutil::TempDir dir;
  auto ca = proxy::CertificateAuthority::open_or_create(dir.path());
  ASSERT_TRUE(ca);
  const auto bound = proxy::CertificateAuthority::k_max_leaves;
  for (std::size_t i = 0; i < bound + 20; ++i) {
    ASSERT_TRUE((*ca)->leaf_for(host(("h" + std::to_string(i) + ".example.test").c_str())));
  }
  EXPECT_EQ((*ca)->cached_leaves(), bound);
}
