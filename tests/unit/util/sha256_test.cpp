#include "util/sha256.hpp"

#include <gtest/gtest.h>

namespace {

TEST(Sha256, MatchesKnownVectors) {
  EXPECT_EQ(util::Sha256::of("").hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(util::Sha256::of("abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  util::Sha256Hasher hasher;
  hasher.update("a");
  hasher.update("bc");
  EXPECT_EQ(hasher.finish(), util::Sha256::of("abc"));
  // finish() resets: the hasher starts over.
  hasher.update("abc");
  EXPECT_EQ(hasher.finish(), util::Sha256::of("abc"));
}

TEST(Sha256, ParsesHexOfEitherCaseAndRejectsTheRest) {
  const auto digest = util::Sha256::of("abc");
  std::string upper = digest.hex();
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(util::Sha256::from_hex(digest.hex()), digest);
  EXPECT_EQ(util::Sha256::from_hex(upper), digest);
  EXPECT_FALSE(util::Sha256::from_hex(digest.hex().substr(1)));
  EXPECT_FALSE(util::Sha256::from_hex(std::string(63, 'a') + "g"));
  EXPECT_FALSE(util::Sha256::from_hex(""));
}

} // namespace
