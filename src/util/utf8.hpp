// UTF-8 as RFC 3629 defines it: what may go into a JSON string, a file name or a log line,
// and text from outside made printable.
#pragma once

#include <string>
#include <string_view>

namespace util {

// The length of the well-formed sequence at the start of `text` (Unicode 15, table 3-7), or,
// when there is none, minus the length of its maximal subpart: the bytes one U+FFFD replaces
// (at least one). Overlongs, surrogates, code points past U+10FFFF, stray continuation bytes
// and a sequence cut short each give a negative length. `text` must not be empty.
int utf8_sequence_length(std::string_view text);

// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

// `text` with each ill-formed sequence (each maximal subpart) replaced by U+FFFD, as
// WHATWG's decoder does.
std::string to_valid_utf8(std::string_view text);

// `text` safe to print on a terminal or in a log line: ill-formed UTF-8 replaced by U+FFFD,
// control characters written as \xNN, cut after `limit` bytes with "..." (an error message
// names input this way; a notice passes npos).
std::string printable(std::string_view text, std::size_t limit = 200);

} // namespace util
