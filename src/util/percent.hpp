// Percent-encoding of URL parts (RFC 3986).
#pragma once

#include <string>
#include <string_view>

namespace util {

// Decodes %XX escapes; a malformed escape is kept as it is. '+' stays '+' (paths, not forms).
std::string percent_decode(std::string_view text);
// Decodes a form value: '+' is a space, then %XX escapes.
std::string form_decode(std::string_view text);
// Encodes everything but unreserved characters; with `keep_slash`, '/' too stays.
std::string percent_encode(std::string_view text, bool keep_slash = false);
// Encodes control characters only (below 0x20, and DEL), everything else as it is: a decoded
// path or revision made fit for a header value or a line of text, where CR, LF or NUL would
// end it early (issue 14).
std::string percent_encode_controls(std::string_view text);

} // namespace util
