#include "livekit/rtc/stun_message.h"

namespace parley::rtc {

namespace {
Error bad(const char* what) { return Error(ErrorCode::kInvalidArgument, std::string("STUN: ") + what); }
}  // namespace

Result<StunMessage> parse_stun(std::span<const uint8_t> p) {
  if (p.size() < 20) return tl::unexpected(bad("shorter than the 20-byte header"));
  if (p[0] & 0xc0) return tl::unexpected(bad("first two bits are not zero"));
  const size_t len = static_cast<size_t>(p[2] << 8 | p[3]);
  if (len % 4) return tl::unexpected(bad("length is not a multiple of 4"));
  if (20 + len != p.size()) return tl::unexpected(bad("length does not match the packet"));
  const uint32_t cookie = static_cast<uint32_t>(p[4]) << 24 | static_cast<uint32_t>(p[5]) << 16 |
                          static_cast<uint32_t>(p[6]) << 8 | p[7];
  if (cookie != kStunMagicCookie) return tl::unexpected(bad("wrong magic cookie"));
  StunMessage m;
  m.type = static_cast<uint16_t>(p[0] << 8 | p[1]);
  m.transaction_id = p.subspan(8, 12);
  size_t off = 20;
  while (off < p.size()) {
    if (p.size() - off < 4) return tl::unexpected(bad("truncated attribute header"));
    const uint16_t type = static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
    const size_t alen = static_cast<size_t>(p[off + 2] << 8 | p[off + 3]);
    const size_t padded = (alen + 3) / 4 * 4;
    if (off + 4 + padded > p.size()) return tl::unexpected(bad("attribute runs past the message"));
    if (m.has_fingerprint) return tl::unexpected(bad("attribute after FINGERPRINT"));
    m.attributes.push_back({type, p.subspan(off + 4, alen)});
    if (type == 0x8028) {
      if (alen != 4) return tl::unexpected(bad("FINGERPRINT is not 4 bytes"));
      m.has_fingerprint = true;
    }
    off += 4 + padded;
  }
  return m;
}

}  // namespace parley::rtc
