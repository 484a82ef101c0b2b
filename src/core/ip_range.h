// An IP address or CIDR range ("203.0.113.10", "203.0.113.0/24", "2001:db8::/32"), as LiveKit's
// inbound trunks take them in allowed_addresses. Used to validate configured addresses and to
// tell whether a trunk's ranges admit a configured provider's.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley {

struct IpRange {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // the address; only the first 4 for IPv4
  int prefix = 32;                  // bits that must match (32 or 128 for one address)

  // True when every address of `other` lies in this range.
  bool contains(const IpRange& other) const;
};

// "1.2.3.4", "1.2.3.4/24", "::1", "[::1]", "2001:db8::/32". Errors say what is wrong.
Result<IpRange> parse_ip_range(std::string_view text);

}  // namespace parley
