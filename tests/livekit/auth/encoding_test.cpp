#include "livekit/auth/encoding.h"

#include <gtest/gtest.h>

namespace parley::livekit {
namespace {

std::string hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

TEST(Encoding, Base64UrlRoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    auto enc = base64url_encode(bytes);
    EXPECT_EQ(enc.find('='), std::string::npos);
    EXPECT_EQ(enc.find('+'), std::string::npos);
    EXPECT_EQ(enc.find('/'), std::string::npos);
    auto dec = base64url_decode(enc);
    ASSERT_TRUE(dec) << n;
    EXPECT_EQ(*dec, bytes);
    bytes += char(n * 37 + 251);
  }
}

TEST(Encoding, Base64Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(*base64_decode("Zm9vYg=="), "foob");
}

TEST(Encoding, RejectsBadBase64) {
  EXPECT_FALSE(base64url_decode("ab+c"));   // standard alphabet
  EXPECT_FALSE(base64url_decode("a"));      // impossible length
  EXPECT_FALSE(base64url_decode("ab cd"));  // space
  EXPECT_FALSE(base64url_decode("Zh"));     // non-zero leftover bits
  EXPECT_FALSE(base64_decode("Zm9vYg"));    // padding required
  EXPECT_FALSE(base64_decode("Zm9v-g=="));
}

TEST(Encoding, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hmac_sha256("", "x").size(), 32u);
}

TEST(Encoding, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace parley::livekit
