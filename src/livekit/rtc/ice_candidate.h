// An ICE candidate line (RFC 8839 §5.1, RFC 6544 tcptype) as a value: parsed from and written to
// "candidate:…" without "a=". Our own parser, because libnice's accepts only upper-case UDP and
// no TCP candidates, while pion sends "udp"/"tcp … tcptype passive".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::rtc {

struct IceCandidate {
  enum class Transport { kUdp, kTcp };
  enum class Type { kHost, kSrflx, kPrflx, kRelay };
  enum class TcpType { kNone, kActive, kPassive, kSo };

  std::string foundation;
  int component = 1;
  Transport transport = Transport::kUdp;
  uint32_t priority = 0;
  std::string address;  // IP literal, or a hostname such as an mDNS "….local"
  uint16_t port = 0;
  Type type = Type::kHost;
  std::string related_address;
  uint16_t related_port = 0;
  TcpType tcp_type = TcpType::kNone;

  bool is_mdns() const;  // address ends in ".local"
  std::string to_string() const;  // "candidate:…"
};

// Accepts "candidate:…" or "a=candidate:…"; unknown extension attributes are skipped.
Result<IceCandidate> parse_ice_candidate(std::string_view line);

}  // namespace parley::rtc
