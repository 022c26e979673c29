// nlohmann::json as text, without the exception its dump() throws on invalid UTF-8.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace util {

// `value` serialized as dump(indent) would (-1: one line), except that each invalid UTF-8
// sequence in a string becomes U+FFFD instead of a thrown type_error. Every dump in src/
// goes through here: strings come from outside (URLs, header values, bucket rows) and a
// throw on a fetch thread or in a handler would stop the process (issue 14, finding 1).
std::string to_json_text(const nlohmann::json& value, int indent = -1);

// How deep `text`'s arrays and objects nest, brackets inside strings not counted: checked
// before parsing JSON from outside, as nlohmann's serializer and destructor recurse. Pure.
int json_nesting(std::string_view text);

} // namespace util
