#include "remote/xml_elements.hpp"

#include <gtest/gtest.h>

namespace {

using remote::xml_element;

TEST(XmlElements, TheFirstElementsTextWithItsEntitiesDecoded) {
  EXPECT_EQ(xml_element("<a><Key>x&amp;y &lt;&gt;&quot;&apos;</Key><Key>2</Key></a>", "Key"), "x&y <>\"'");
  EXPECT_EQ(xml_element("<Key>caf&#233; &#x1F600;</Key>", "Key"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(xml_element("<Code></Code>", "Code"), "");
}

TEST(XmlElements, WhatNamesNoCharacterIsKeptAsWritten) {
  EXPECT_EQ(xml_element("<K>&#0; &#xD800; &#x110000; &#12a; &nbsp; & alone</K>", "K"),
            "&#0; &#xD800; &#x110000; &#12a; &nbsp; & alone");
}

TEST(XmlElements, AMissingOrUnclosedElementIsNone) {
  EXPECT_EQ(xml_element("<a><b>1</b></a>", "Key"), std::nullopt);
  EXPECT_EQ(xml_element("<Key>never closed", "Key"), std::nullopt);
}

TEST(XmlElements, EveryRawElementInOrder) {
  const auto all = remote::xml_raw_elements("<C><K>1</K></C><P/><C><K>&amp;</K></C><C>", "C");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0], "<K>1</K>");
  EXPECT_EQ(all[1], "<K>&amp;</K>");
}

} // namespace
