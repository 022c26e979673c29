#include "util/host_name.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace util {

namespace {

constexpr std::size_t k_max_name = 253;  // RFC 1035 §2.3.4, without the trailing dot
constexpr std::size_t k_max_label = 63;

bool is_letter_or_digit(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_dns_name(std::string_view text) {
  if (text.empty() || text.size() > k_max_name) return false;
  std::size_t start = 0;
  bool last_all_digits = false;
  for (;;) {
    const auto dot = text.find('.', start);
    const auto label = text.substr(start, dot == std::string_view::npos ? text.npos : dot - start);
    if (label.empty() || label.size() > k_max_label) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return is_letter_or_digit(c) || c == '-'; })) {
      return false;
    }
    last_all_digits =
        std::all_of(label.begin(), label.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return !last_all_digits;
}

} // namespace

std::optional<HostName> HostName::parse(std::string_view text) {
  // inet_pton needs a C string; anything longer than a DNS name is no host at all.
  if (text.empty() || text.size() > k_max_name || text.find('\0') != text.npos) return std::nullopt;
  const std::string owned(text);
  HostName host;
  if (::inet_pton(AF_INET, owned.c_str(), host.m_address.data()) == 1) {
    host.m_kind = Kind::ipv4;
    host.m_address_size = 4;
    host.m_text = owned;  // inet_pton takes dotted-quad decimal only: already canonical
    return host;
  }
  if (::inet_pton(AF_INET6, owned.c_str(), host.m_address.data()) == 1) {
    char canonical[INET6_ADDRSTRLEN];
    if (!::inet_ntop(AF_INET6, host.m_address.data(), canonical, sizeof canonical)) {
      return std::nullopt;
    }
    host.m_kind = Kind::ipv6;
    host.m_address_size = 16;
    host.m_text = canonical;
    return host;
  }
  if (!is_dns_name(text)) return std::nullopt;
  host.m_kind = Kind::dns;
  host.m_text = owned;
  for (char& c : host.m_text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return host;
}

std::optional<Authority> parse_authority(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == text.npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.find(':');
    if (colon == text.npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  unsigned number = 0;
  for (char c : port) number = number * 10 + static_cast<unsigned>(c - '0');
  if (number == 0 || number > 65535) return std::nullopt;
  auto parsed = HostName::parse(host);
  // An IPv6 address goes in brackets, and only it does.
  if (!parsed || (parsed->kind() == HostName::Kind::ipv6) != (text.front() == '[')) {
    return std::nullopt;
  }
  return Authority{std::move(*parsed), static_cast<std::uint16_t>(number)};
}

} // namespace util
