#include "util/headers.hpp"

#include <algorithm>
#include <cctype>

namespace util {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view value = line.substr(colon + 1);
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!value.empty() && blank(value.front())) value.remove_prefix(1);
  while (!value.empty() && blank(value.back())) value.remove_suffix(1);
  return std::make_pair(std::string(line.substr(0, colon)), std::string(value));
}

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

void remove_header(Headers& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
}

void set_header(Headers& headers, std::string_view name, std::string value) {
  remove_header(headers, name);
  headers.emplace_back(std::string(name), std::move(value));
}

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::string_view k_names[] = {
      "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
      "te",         "trailer",    "transfer-encoding",  "upgrade"};
  return std::any_of(std::begin(k_names), std::end(k_names),
                     [&](std::string_view n) { return iequals(n, name); });
}

Headers without_hop_by_hop(const Headers& headers) {
  std::vector<std::string> named;
  if (auto connection = find_header(headers, "Connection")) {
    std::size_t start = 0;
    while (start <= connection->size()) {
      auto end = connection->find(',', start);
      if (end == std::string::npos) end = connection->size();
      std::string token = connection->substr(start, end - start);
      token.erase(0, token.find_first_not_of(" \t"));
      token.erase(token.find_last_not_of(" \t") + 1);
      if (!token.empty()) named.push_back(token);
      start = end + 1;
    }
  }
  Headers out;
  for (const auto& header : headers) {
    if (is_hop_by_hop(header.first)) continue;
    if (std::any_of(named.begin(), named.end(),
                    [&](const std::string& n) { return iequals(n, header.first); })) {
      continue;
    }
    out.push_back(header);
  }
  return out;
}

std::string normalize_etag(std::string_view etag) {
  if (etag.rfind("W/", 0) == 0) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::optional<std::string> next_link(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "Link")) continue;
    std::size_t pos = 0;
    while ((pos = value.find('<', pos)) != std::string::npos) {
      const auto close = value.find('>', pos);
      if (close == std::string::npos) break;
      const auto after = value.find('<', close);
      const auto params =
          value.substr(close + 1, after == std::string::npos ? std::string::npos : after - close - 1);
      if (params.find("rel=\"next\"") != std::string::npos ||
          params.find("rel=next") != std::string::npos) {
        return value.substr(pos + 1, close - pos - 1);
      }
      pos = close;
    }
  }
  return std::nullopt;
}

} // namespace util
