// SHA-256 digests (the names of blobs) and an incremental hasher. OpenSSL stays in the .cpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace util {

// A SHA-256 digest; a plain value, ordered and hashable by its bytes.
class Sha256 {
public:
  static constexpr std::size_t k_size = 32;

  Sha256() = default;
  explicit Sha256(const std::array<std::uint8_t, k_size>& bytes) : m_bytes(bytes) {}

  // Parses exactly 64 hex digits (either case); std::nullopt otherwise.
  static std::optional<Sha256> from_hex(std::string_view hex);
  // The digest of `data` in one call.
  static Sha256 of(std::span<const std::uint8_t> data);
  static Sha256 of(std::string_view data);

  std::string hex() const; // 64 lower-case hex digits
  const std::array<std::uint8_t, k_size>& bytes() const { return m_bytes; }

  friend auto operator<=>(const Sha256&, const Sha256&) = default;

private:
  std::array<std::uint8_t, k_size> m_bytes{};
};

// Feeds bytes in pieces, then `finish()` once. Not copyable; movable. Not thread-safe.
class Sha256Hasher {
public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&& other) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&& other) noexcept;
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void update(std::span<const std::uint8_t> data);
  void update(std::string_view data);
  // Returns the digest; the hasher is then reset for reuse.
  Sha256 finish();

private:
  evp_md_ctx_st* m_ctx;
};

// The SHA-1 of `data`, 40 lower-case hex digits: git object ids, nothing that needs to
// resist collisions.
std::string sha1_hex(std::string_view data);

} // namespace util

template <> struct std::hash<util::Sha256> {
  std::size_t operator()(const util::Sha256& d) const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof h; ++i)
      h = (h << 8) | d.bytes()[i];
    return h;
  }
};
