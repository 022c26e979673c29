// The few elements hubcache reads from the XML that S3 and STS answer with (a listing's
// Contents, an error's Code, AssumeRoleWithWebIdentity's Credentials): found by tag, no
// parser. Their bodies come from outside: nothing here trusts them to be well formed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace remote {

// The text of the first <tag>…</tag> in `xml`, its entities decoded (the five named ones and
// numeric ones; any other, or a number that names no character, is kept as written).
std::optional<std::string> xml_element(std::string_view xml, std::string_view tag);

// The raw inner text of every <tag>…</tag> in `xml`, in order.
std::vector<std::string_view> xml_raw_elements(std::string_view xml, std::string_view tag);

} // namespace remote
