#include "util/percent.hpp"
#include "util/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace std::string_literals;

TEST(PercentDecode, DecodesEscapesInEitherCase) {
  EXPECT_EQ(util::percent_decode("refs%2Fpr%2F1"), "refs/pr/1");
  EXPECT_EQ(util::percent_decode("refs%2fpr%2f1"), "refs/pr/1");
  EXPECT_EQ(util::percent_decode("my%20file.txt"), "my file.txt");
  EXPECT_EQ(util::percent_decode("%41"), "A");
  EXPECT_EQ(util::percent_decode("a%41"), "aA");
}

TEST(PercentDecode, DecodesUtf8Bytes) {
  EXPECT_EQ(util::percent_decode("caf%C3%A9.txt"), "caf\xC3\xA9.txt");
}

TEST(PercentDecode, KeepsPlusAsPlus) {
  EXPECT_EQ(util::percent_decode("a+b"), "a+b");
  EXPECT_EQ(util::percent_decode("a%2Bb"), "a+b");
}

TEST(PercentDecode, KeepsMalformedEscapes) {
  EXPECT_EQ(util::percent_decode("%"), "%");
  EXPECT_EQ(util::percent_decode("100%"), "100%");
  EXPECT_EQ(util::percent_decode("%4"), "%4");
  EXPECT_EQ(util::percent_decode("a%4"), "a%4");
  EXPECT_EQ(util::percent_decode("%zz"), "%zz");
  EXPECT_EQ(util::percent_decode("%4g1"), "%4g1");
  EXPECT_EQ(util::percent_decode("%%41"), "%A");
}

TEST(PercentDecode, DecodesOnlyOnce) {
  EXPECT_EQ(util::percent_decode("%2541"), "%41");
}

TEST(PercentDecode, DecodesNulByte) {
  EXPECT_EQ(util::percent_decode("a%00b"), "a\0b"s);
}

TEST(PercentFormDecode, PlusIsSpaceAndEscapedPlusIsPlus) {
  EXPECT_EQ(util::form_decode("a+b"), "a b");
  EXPECT_EQ(util::form_decode("a%2Bb"), "a+b");
  EXPECT_EQ(util::form_decode("data%2Ftrain+split.csv"), "data/train split.csv");
  EXPECT_EQ(util::form_decode(""), "");
}

TEST(PercentEncode, KeepsUnreservedOnly) {
  EXPECT_EQ(util::percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(util::percent_encode("a b+c"), "a%20b%2Bc");
  EXPECT_EQ(util::percent_encode("?#&=%"), "%3F%23%26%3D%25");
}

TEST(PercentEncode, SlashOnlyWhenAsked) {
  EXPECT_EQ(util::percent_encode("refs/pr/1"), "refs%2Fpr%2F1");
  EXPECT_EQ(util::percent_encode("dir/sub file", /*keep_slash=*/true), "dir/sub%20file");
}

TEST(PercentEncode, EncodesUtf8BytesUpperCase) {
  EXPECT_EQ(util::percent_encode("caf\xC3\xA9"), "caf%C3%A9");
  EXPECT_EQ(util::percent_encode("\xff\x01"s), "%FF%01");
  EXPECT_EQ(util::percent_encode("\0"s), "%00");
}

TEST(PercentEncode, RoundTripsThroughDecode) {
  const std::string text = "weird name/+%?#\xC3\xA9 \x7f";
  EXPECT_EQ(util::percent_decode(util::percent_encode(text)), text);
  EXPECT_EQ(util::percent_decode(util::percent_encode(text, true)), text);
  EXPECT_EQ(util::form_decode(util::percent_encode(text)), text);
}

TEST(PercentSha1, KnownDigests) {
  EXPECT_EQ(util::sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(util::sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  // `git hash-object` of an empty file.
  EXPECT_EQ(util::sha1_hex("blob 0\0"s), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

// Issue 14, finding 3: what makes a decoded path safe for X-Error-Message.
TEST(PercentEncodeControls, EncodesControlCharactersOnly) {
  EXPECT_EQ(util::percent_encode_controls("x\r\nX-Injected: 1"), "x%0D%0AX-Injected: 1");
  EXPECT_EQ(util::percent_encode_controls("a\0b\tc\x7f"s), "a%00b%09c%7F");
  EXPECT_EQ(util::percent_encode_controls("dir/caf\xc3\xa9 %41.txt"), "dir/caf\xc3\xa9 %41.txt");
}

} // namespace
