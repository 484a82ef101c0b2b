#include "core/ip_range.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

IpRange r(std::string_view text) {
  auto x = parse_ip_range(text);
  EXPECT_TRUE(x) << text << ": " << (x ? "" : x.error().message);
  return x ? *x : IpRange{};
}

TEST(IpRange, ParsesAddressesAndRanges) {
  EXPECT_EQ(r("203.0.113.10").prefix, 32);
  EXPECT_EQ(r("203.0.113.0/24").prefix, 24);
  EXPECT_TRUE(r("2001:db8::/32").v6);
  EXPECT_EQ(r("[::1]").prefix, 128);
  EXPECT_EQ(r("0.0.0.0/0").prefix, 0);
}

TEST(IpRange, RefusesWhatIsNotAnAddress) {
  for (const char* bad : {"", "sip.example.com", "1.2.3", "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/x", "::1/129", "1.2.3.4 ",
                          "/24"}) {
    auto x = parse_ip_range(bad);
    EXPECT_FALSE(x) << bad;
    if (!x) {
      EXPECT_NE(x.error().message.find("is not an IP address or CIDR range"), std::string::npos);
    }
  }
}

TEST(IpRange, Containment) {
  EXPECT_TRUE(r("203.0.113.0/24").contains(r("203.0.113.10")));
  EXPECT_TRUE(r("203.0.113.0/24").contains(r("203.0.113.128/25")));
  EXPECT_FALSE(r("203.0.113.0/25").contains(r("203.0.113.200")));
  EXPECT_FALSE(r("203.0.113.10").contains(r("203.0.113.0/24")));
  EXPECT_TRUE(r("203.0.113.10").contains(r("203.0.113.10")));
  EXPECT_FALSE(r("203.0.113.10").contains(r("203.0.113.11")));
  EXPECT_TRUE(r("0.0.0.0/0").contains(r("198.51.100.7")));
  EXPECT_TRUE(r("10.0.0.0/13").contains(r("10.7.255.255")));
  EXPECT_FALSE(r("10.0.0.0/13").contains(r("10.8.0.0")));
  EXPECT_FALSE(r("::/0").contains(r("1.2.3.4")));  // families never mix
  EXPECT_TRUE(r("2001:db8::/32").contains(r("2001:db8:1::5")));
}

}  // namespace
}  // namespace parley
