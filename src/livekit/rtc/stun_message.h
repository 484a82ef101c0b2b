// A STUN (RFC 5389) header and attribute walker. libnice does the ICE work; we only need to
// recognise and sanity-check STUN on the demultiplexed path and in the fuzzers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"

namespace parley::rtc {

struct StunAttribute {
  uint16_t type = 0;
  std::span<const uint8_t> value;
};

struct StunMessage {
  uint16_t type = 0;  // method and class bits
  std::span<const uint8_t> transaction_id;  // 12 bytes
  std::vector<StunAttribute> attributes;
  bool has_fingerprint = false;
};

inline constexpr uint32_t kStunMagicCookie = 0x2112A442;

Result<StunMessage> parse_stun(std::span<const uint8_t> packet);

}  // namespace parley::rtc
