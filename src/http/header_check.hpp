// What a response header must look like to be written: the last check before the wire, so
// no value that came from outside (a path, an upstream's header, a recorded row) can end a
// header early and add its own, or a whole second response (issue 14, finding 3).
#pragma once

#include <string_view>

namespace http {

// A field name (RFC 9110 §5.1): one or more tchar, i.e. letters, digits and !#$%&'*+-.^_`|~.
bool is_header_name(std::string_view name);

// A field value (RFC 9110 §5.5): visible ASCII, space, HTAB, and bytes from 0x80 up
// (obs-text); never CR, LF, NUL, another control character or DEL.
bool is_header_value(std::string_view value);

} // namespace http
