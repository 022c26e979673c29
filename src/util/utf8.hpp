// UTF-8 as RFC 3629 defines it: what may go into a JSON string, a file name or a log line.
#pragma once

#include <string>
#include <string_view>

namespace util {

// True when `text` is well-formed UTF-8: no stray continuation bytes, no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing past U+10FFFF, no sequence cut short.
bool is_valid_utf8(std::string_view text);

// `text` with each ill-formed sequence replaced by U+FFFD (the replacement character).
std::string to_valid_utf8(std::string_view text);

} // namespace util
