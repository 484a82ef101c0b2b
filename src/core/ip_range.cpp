#include "core/ip_range.h"

#include <arpa/inet.h>

#include <charconv>

namespace parley {

bool IpRange::contains(const IpRange& other) const {
  if (v6 != other.v6 || other.prefix < prefix) return false;
  int full = prefix / 8, rest = prefix % 8;
  for (int i = 0; i < full; ++i) {
    if (bytes[i] != other.bytes[i]) return false;
  }
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (other.bytes[full] & mask);
}

Result<IpRange> parse_ip_range(std::string_view text) {
  auto bad = [&](const std::string& why) {
    // Appended piece by piece: GCC 12 at -O3 (a plain Release build) wrongly reports
    // -Wrestrict on a chain of std::string operator+ (GCC bug 105329).
    std::string message = "'";
    message.append(text).append("' is not an IP address or CIDR range: ").append(why);
    return make_error(ErrorCode::kInvalidArgument, message);
  };
  std::string_view addr = text, bits;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    bits = text.substr(slash + 1);
    if (bits.empty()) return bad("nothing after '/'");
  }
  if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
  if (addr.empty()) return bad("no address");
  IpRange r;
  std::string a(addr);
  if (inet_pton(AF_INET, a.c_str(), r.bytes.data()) == 1) {
    r.prefix = 32;
  } else if (inet_pton(AF_INET6, a.c_str(), r.bytes.data()) == 1) {
    r.v6 = true;
    r.prefix = 128;
  } else {
    return bad("write an address such as 203.0.113.10 or a range such as 203.0.113.0/24 (host names are not accepted)");
  }
  if (!bits.empty()) {
    int n = -1;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
    if (ec != std::errc() || end != bits.data() + bits.size() || n < 0 || n > r.prefix) {
      return bad("the prefix length must be a number from 0 to " + std::to_string(r.prefix));
    }
    r.prefix = n;
  }
  return r;
}

}  // namespace parley
