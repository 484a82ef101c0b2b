// RTCP (RFC 3550): parsing compound packets (SR, RR, SDES, BYE; other types counted and
// skipped) and building our SR/RR + SDES CNAME compounds. Pure functions over bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"

namespace parley::rtc {

struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;
  int32_t cumulative_lost = 0;  // 24-bit signed
  uint32_t highest_seq = 0;     // extended
  uint32_t jitter = 0;
  uint32_t last_sr = 0;         // middle 32 bits of the NTP time of the last SR
  uint32_t delay_since_last_sr = 0;  // 1/65536 s
};

struct SenderInfo {
  uint64_t ntp = 0;
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
};

struct RtcpReport {
  bool is_sender_report = false;
  uint32_t ssrc = 0;
  SenderInfo sender;  // SR only
  std::vector<ReportBlock> blocks;
};

struct RtcpCompound {
  std::vector<RtcpReport> reports;
  std::vector<uint32_t> byes;
  size_t other_packets = 0;  // SDES, feedback, XR, APP…
};

Result<RtcpCompound> parse_rtcp(std::span<const uint8_t> packet);

// SR (when `sender` is set) or RR, followed by SDES CNAME, appended to out.
void build_rtcp_report(uint32_t ssrc, const SenderInfo* sender, const std::vector<ReportBlock>& blocks,
                       const std::string& cname, std::vector<uint8_t>& out);

// Receive statistics for one remote SSRC, enough for an RR block (RFC 3550 A.1, A.3, A.8).
class RtpReceiveStats {
 public:
  // arrival in RTP clock units (48 kHz) for the jitter estimate.
  void on_packet(uint16_t seq, uint32_t rtp_timestamp, uint32_t arrival_rtp_units);
  void on_sender_report(uint64_t ntp, uint64_t now_ms);
  ReportBlock make_block(uint32_t ssrc, uint64_t now_ms);
  uint64_t packets() const { return received_; }
  // Since the first packet: packets the sender sent by sequence number (extended highest −
  // first + 1), and of those not received (negative with duplicates, RFC 3550 A.3).
  uint64_t expected() const;
  int64_t lost() const { return static_cast<int64_t>(expected()) - static_cast<int64_t>(received_); }
  double jitter() const { return jitter_; }  // RFC 3550 6.4.1 estimate, RTP clock units

 private:
  bool started_ = false;
  uint16_t max_seq_ = 0;
  uint32_t cycles_ = 0;
  uint32_t base_seq_ = 0;
  uint64_t received_ = 0;
  uint64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;
  double jitter_ = 0;
  int64_t last_transit_ = 0;
  bool have_transit_ = false;
  uint32_t last_sr_ = 0;
  uint64_t last_sr_at_ms_ = 0;
};

}  // namespace parley::rtc
