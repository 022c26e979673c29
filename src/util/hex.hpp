// Lower-case hexadecimal encoding of bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace util {

std::string to_hex(std::span<const std::uint8_t> bytes);

// True when `text` is exactly `length` lower-case hex digits.
bool is_lower_hex(std::string_view text, std::size_t length);

} // namespace util
