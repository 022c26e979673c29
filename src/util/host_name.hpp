// A host name from outside (a CONNECT target) as a validated value: a DNS name or an IP
// literal, nothing else, so it can name a certificate or a cache slot without surprises.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace util {

class HostName {
public:
  enum class Kind { dns, ipv4, ipv6 };

  // std::nullopt unless `text` is
  // - a DNS name: dot-separated labels of 1 to 63 letters, digits and hyphens (a hyphen
  //   neither first nor last), 253 characters at most, the last label not all digits (that
  //   is a mistyped IPv4 address), no trailing dot; so no wildcard, comma, colon, space,
  //   underscore or byte outside ASCII; or
  // - an IPv4 address in dotted-quad form, or an IPv6 address without brackets or zone.
  // DNS names are lower-cased and IPv6 addresses written in their RFC 5952 form.
  static std::optional<HostName> parse(std::string_view text);

  Kind kind() const { return m_kind; }
  bool is_ip() const { return m_kind != Kind::dns; }
  // The canonical text: "example.com", "127.0.0.1", "::1" (never with brackets).
  const std::string& text() const { return m_text; }
  // How the host goes in a URL's authority: IPv6 in brackets.
  std::string url_host() const { return m_kind == Kind::ipv6 ? "[" + m_text + "]" : m_text; }
  // The address in network order (4 or 16 bytes) for an IP; empty for a DNS name.
  std::span<const std::uint8_t> address() const { return {m_address.data(), m_address_size}; }

  friend bool operator==(const HostName& a, const HostName& b) { return a.m_text == b.m_text; }

private:
  HostName() = default;
  Kind m_kind = Kind::dns;
  std::string m_text;
  std::array<std::uint8_t, 16> m_address{};
  std::size_t m_address_size = 0;
};

// The authority-form target of a CONNECT (RFC 9110 §9.3.6): host ":" port, an IPv6 host in
// brackets, the port 1 to 65535 and required.
struct Authority {
  HostName host;
  std::uint16_t port = 0;
};
std::optional<Authority> parse_authority(std::string_view text);

} // namespace util
