#include "http/header_check.hpp"

#include <string>

#include <gtest/gtest.h>

namespace {

TEST(HeaderCheck, NamesAreTokens) {
  for (const char* name : {"X-Error-Message", "ETag", "x_y", "A1!#$%&'*+-.^_`|~"}) {
    EXPECT_TRUE(http::is_header_name(name)) << name;
  }
  for (const char* name :
       {"", "X Error", "X-Error:", "X\r\nInjected", "X(y)", "X/y", "caf\xc3\xa9"}) {
    EXPECT_FALSE(http::is_header_name(name)) << name;
  }
  EXPECT_FALSE(http::is_header_name(std::string_view("X\0Y", 3)));
}

// Issue 14, finding 3: a decoded %0d%0a in a request target reached X-Error-Message.
TEST(HeaderCheck, ValuesHoldNoControlCharacterButTab) {
  for (const char* value : {"", "plain text", "a\tb", "\"etag\"", "caf\xc3\xa9", "~!@#$%^&*()"}) {
    EXPECT_TRUE(http::is_header_value(value)) << value;
  }
  for (const char* value : {"x\r\nX-Injected: 1", "x\nX-Injected: 1", "x\r", "a\x01" "b", "a\x7f",
                            "a\x1b[31m"}) {
    EXPECT_FALSE(http::is_header_value(value)) << value;
  }
  EXPECT_FALSE(http::is_header_value(std::string_view("a\0b", 3)));
}

} // namespace
