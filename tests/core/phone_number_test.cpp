#include "core/phone_number.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

std::string ok(std::string_view in) {
  auto r = normalize_e164(in);
  EXPECT_TRUE(r) << in << ": " << (r ? "" : r.error().message);
  return r ? *r : "";
}

std::string refused(std::string_view in) {
  auto r = normalize_e164(in);
  EXPECT_FALSE(r) << in << " was accepted as " << (r ? *r : "");
  return r ? "" : r.error().message;
}

TEST(PhoneNumber, InternationalFormsLoseTheirFormatting) {
  EXPECT_EQ(ok("+1 (555) 010-0000"), "+15550100000");
  EXPECT_EQ(ok("+15550100"), "+15550100");
  EXPECT_EQ(ok("+44 20 7946 0958"), "+442079460958");
  EXPECT_EQ(ok("+49.30.1234567"), "+49301234567");
  EXPECT_EQ(ok("0049 30 1234567"), "+49301234567");
}

TEST(PhoneNumber, RussianSpellingsBecomePlusSeven) {
  for (const char* in : {"8 495 123-45-67", "8(495)1234567", "+7 (495) 123-45-67", "7 495 123 45 67", "84951234567",
                         "74951234567", "+74951234567", "8 (495) 123-45-67"}) {
    EXPECT_EQ(ok(in), "+74951234567") << in;
  }
  EXPECT_EQ(ok("8 800 555-35-35"), "+78005553535");
  EXPECT_EQ(ok("8 916 000-00-00"), "+79160000000");
}

TEST(PhoneNumber, NorthAmericanElevenDigitsWithoutPlus) {
  EXPECT_EQ(ok("1 555 010 0000"), "+15550100000");
}

TEST(PhoneNumber, WhatCannotBeANumberIsRefusedWithTheReason) {
  EXPECT_NE(refused("").find("no digits"), std::string::npos);
  EXPECT_NE(refused("call me").find("contains 'c'"), std::string::npos);
  EXPECT_NE(refused("+7 495 12a").find("contains 'a'"), std::string::npos);
  EXPECT_NE(refused("495 123-45-67").find("no country code"), std::string::npos);
  EXPECT_NE(refused("12345").find("no country code"), std::string::npos);
  EXPECT_NE(refused("+7 495 123-45-6").find("10 digits after the 7"), std::string::npos);
  EXPECT_NE(refused("8 495 123-45-678").find("no country code"), std::string::npos);
  EXPECT_NE(refused("+1 2+3").find("'+'"), std::string::npos);
  EXPECT_NE(refused("++74951234567").find("'+'"), std::string::npos);
  EXPECT_NE(refused("+0123456789").find("starts with 0"), std::string::npos);
  EXPECT_NE(refused("+12345").find("too short"), std::string::npos);
  EXPECT_NE(refused("+1234567890123456").find("more than 15"), std::string::npos);
  EXPECT_NE(refused("sip:+74951234567@host").find("contains 's'"), std::string::npos);
  // The message quotes what was given.
  EXPECT_NE(refused("abc").find("'abc' is not a phone number"), std::string::npos);
}

}  // namespace
}  // namespace parley
