#include "util/sha256.hpp"

#include "util/hex.hpp"

#include <stdexcept>
#include <utility>

#include <openssl/evp.h>

namespace util {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<Sha256> Sha256::from_hex(std::string_view hex) {
  if (hex.size() != 2 * k_size) return std::nullopt;
  std::array<std::uint8_t, k_size> bytes{};
  for (std::size_t i = 0; i < k_size; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return Sha256(bytes);
}

Sha256 Sha256::of(std::span<const std::uint8_t> data) {
  Sha256Hasher hasher;
  hasher.update(data);
  return hasher.finish();
}

Sha256 Sha256::of(std::string_view data) {
  Sha256Hasher hasher;
  hasher.update(data);
  return hasher.finish();
}

std::string Sha256::hex() const {
  return to_hex(m_bytes);
}

// An allocation failure here is a bug-class event (out of memory), so it throws.
Sha256Hasher::Sha256Hasher() : m_ctx(EVP_MD_CTX_new()) {
  if (m_ctx == nullptr || EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(m_ctx);
    throw std::runtime_error("cannot initialise SHA-256");
  }
}

Sha256Hasher::~Sha256Hasher() {
  EVP_MD_CTX_free(m_ctx);
}

Sha256Hasher::Sha256Hasher(Sha256Hasher&& other) noexcept
    : m_ctx(std::exchange(other.m_ctx, nullptr)) {}

Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(m_ctx);
    m_ctx = std::exchange(other.m_ctx, nullptr);
  }
  return *this;
}

void Sha256Hasher::update(std::span<const std::uint8_t> data) {
  EVP_DigestUpdate(m_ctx, data.data(), data.size());
}

void Sha256Hasher::update(std::string_view data) {
  EVP_DigestUpdate(m_ctx, data.data(), data.size());
}

std::string sha1_hex(std::string_view data) {
  std::array<std::uint8_t, 20> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha1(), nullptr);
  return to_hex(digest);
}

Sha256 Sha256Hasher::finish() {
  std::array<std::uint8_t, Sha256::k_size> bytes{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(m_ctx, bytes.data(), &length);
  EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr);
  return Sha256(bytes);
}

} // namespace util
