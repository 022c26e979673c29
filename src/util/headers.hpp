// HTTP header lists as plain values: ordered (name, value) pairs, names compared
// case-insensitively.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace util {

using Headers = std::vector<std::pair<std::string, std::string>>;

bool iequals(std::string_view a, std::string_view b);

// The first value of header `name`, if present.
std::optional<std::string> find_header(const Headers& headers, std::string_view name);
// Removes every header called `name`.
void remove_header(Headers& headers, std::string_view name);
// Replaces every `name` header with one `name: value`.
void set_header(Headers& headers, std::string_view name, std::string value);

// Connection-level headers that a proxy must not forward (RFC 9110 §7.6.1), plus any header
// the Connection header itself names.
bool is_hop_by_hop(std::string_view name);
Headers without_hop_by_hop(const Headers& headers);

// One header line as an HTTP client receives it ("Name: value\r\n"): the name, and the value
// without the whitespace around it. nullopt for a line with no colon (a status line, the
// blank line that ends the head).
std::optional<std::pair<std::string, std::string>> parse_header_line(std::string_view line);

// An entity tag without W/ and quotes: "\"abc\"" -> "abc".
std::string normalize_etag(std::string_view etag);

// The target of a Link header's rel="next" (`<url>; rel="next", <url>; rel="prev"`), the next
// page of a paginated listing as the Hub gives it; std::nullopt if there is none.
std::optional<std::string> next_link(const Headers& headers);

} // namespace util
