#include "livekit/rtc/rtcp_packet.h"

#include <algorithm>
#include <cmath>

namespace parley::rtc {

namespace {
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
Error bad(const char* what) { return Error(ErrorCode::kInvalidArgument, std::string("RTCP: ") + what); }

ReportBlock read_block(const uint8_t* p) {
  ReportBlock b;
  b.ssrc = be32(p);
  b.fraction_lost = p[4];
  uint32_t lost = static_cast<uint32_t>(p[5]) << 16 | static_cast<uint32_t>(p[6]) << 8 | p[7];
  b.cumulative_lost = (lost & 0x800000) ? static_cast<int32_t>(lost | 0xff000000u) : static_cast<int32_t>(lost);
  b.highest_seq = be32(p + 8);
  b.jitter = be32(p + 12);
  b.last_sr = be32(p + 16);
  b.delay_since_last_sr = be32(p + 20);
  return b;
}
}  // namespace

Result<RtcpCompound> parse_rtcp(std::span<const uint8_t> p) {
  RtcpCompound out;
  size_t off = 0;
  if (p.size() < 4) return tl::unexpected(bad("packet shorter than a header"));
  while (off < p.size()) {
    if (p.size() - off < 4) return tl::unexpected(bad("trailing bytes after the last packet"));
    const uint8_t* h = &p[off];
    if ((h[0] >> 6) != 2) return tl::unexpected(bad("version is not 2"));
    const size_t count = h[0] & 0x1f;
    const uint8_t type = h[1];
    const size_t len = 4u * (static_cast<size_t>(h[2] << 8 | h[3]) + 1);
    if (off + len > p.size()) return tl::unexpected(bad("length runs past the packet"));
    const uint8_t* body = h + 4;
    const size_t body_len = len - 4;
    if (type == 200 || type == 201) {
      RtcpReport r;
      r.is_sender_report = type == 200;
      const size_t fixed = r.is_sender_report ? 24 : 4;
      if (body_len < fixed + 24 * count) return tl::unexpected(bad("report shorter than its report count"));
      r.ssrc = be32(body);
      if (r.is_sender_report) {
        r.sender.ntp = static_cast<uint64_t>(be32(body + 4)) << 32 | be32(body + 8);
        r.sender.rtp_timestamp = be32(body + 12);
        r.sender.packet_count = be32(body + 16);
        r.sender.octet_count = be32(body + 20);
      }
      for (size_t i = 0; i < count; ++i) r.blocks.push_back(read_block(body + fixed + 24 * i));
      out.reports.push_back(std::move(r));
    } else if (type == 203) {
      if (body_len < 4 * count) return tl::unexpected(bad("BYE shorter than its source count"));
      for (size_t i = 0; i < count; ++i) out.byes.push_back(be32(body + 4 * i));
    } else if (type >= 192 && type <= 223) {
      ++out.other_packets;
    } else {
      return tl::unexpected(bad("packet type outside 192..223"));
    }
    off += len;
  }
  return out;
}

void build_rtcp_report(uint32_t ssrc, const SenderInfo* sender, const std::vector<ReportBlock>& blocks,
                       const std::string& cname, std::vector<uint8_t>& out) {
  const size_t n = std::min<size_t>(blocks.size(), 31);
  const size_t words = (sender ? 6 : 1) + 6 * n;  // length in 32-bit words minus one
  out.push_back(static_cast<uint8_t>(0x80 | n));
  out.push_back(sender ? 200 : 201);
  out.push_back(static_cast<uint8_t>(words >> 8));
  out.push_back(static_cast<uint8_t>(words));
  put32(out, ssrc);
  if (sender) {
    put32(out, static_cast<uint32_t>(sender->ntp >> 32));
    put32(out, static_cast<uint32_t>(sender->ntp));
    put32(out, sender->rtp_timestamp);
    put32(out, sender->packet_count);
    put32(out, sender->octet_count);
  }
  for (size_t i = 0; i < n; ++i) {
    const auto& b = blocks[i];
    put32(out, b.ssrc);
    const uint32_t lost = static_cast<uint32_t>(std::clamp(b.cumulative_lost, -0x800000, 0x7fffff)) & 0xffffff;
    put32(out, static_cast<uint32_t>(b.fraction_lost) << 24 | lost);
    put32(out, b.highest_seq);
    put32(out, b.jitter);
    put32(out, b.last_sr);
    put32(out, b.delay_since_last_sr);
  }
  // SDES with one chunk: ssrc, CNAME item, END, padded to 32 bits (RFC 3550 6.5).
  const size_t name_len = std::min<size_t>(cname.size(), 255);
  const size_t chunk = 4 + 2 + name_len + 1;
  const size_t padded = (chunk + 3) / 4 * 4;
  out.push_back(0x81);
  out.push_back(202);
  out.push_back(static_cast<uint8_t>((padded / 4) >> 8));
  out.push_back(static_cast<uint8_t>(padded / 4));
  put32(out, ssrc);
  out.push_back(1);
  out.push_back(static_cast<uint8_t>(name_len));
  out.insert(out.end(), cname.begin(), cname.begin() + static_cast<long>(name_len));
  for (size_t i = chunk - 1; i < padded; ++i) out.push_back(0);
}

void RtpReceiveStats::on_packet(uint16_t seq, uint32_t rtp_timestamp, uint32_t arrival) {
  if (!started_) {
    started_ = true;
    max_seq_ = seq;
    base_seq_ = seq;
  } else {
    const uint16_t delta = static_cast<uint16_t>(seq - max_seq_);
    if (delta < 0x8000) {  // in order (possibly with a gap)
      if (seq < max_seq_) cycles_ += 65536;
      max_seq_ = seq;
    }
  }
  ++received_;
  const int64_t transit = static_cast<int64_t>(arrival) - static_cast<int64_t>(rtp_timestamp);
  if (have_transit_) {
    const double d = std::fabs(static_cast<double>(transit - last_transit_));
    jitter_ += (d - jitter_) / 16.0;
  }
  last_transit_ = transit;
  have_transit_ = true;
}

void RtpReceiveStats::on_sender_report(uint64_t ntp, uint64_t now_ms) {
  last_sr_ = static_cast<uint32_t>(ntp >> 16);
  last_sr_at_ms_ = now_ms;
}

uint64_t RtpReceiveStats::expected() const {
  return started_ ? static_cast<uint64_t>(cycles_ + max_seq_) - base_seq_ + 1 : 0;
}

ReportBlock RtpReceiveStats::make_block(uint32_t ssrc, uint64_t now_ms) {
  ReportBlock b;
  b.ssrc = ssrc;
  const uint32_t ext_max = cycles_ + max_seq_;
  const uint64_t expected = this->expected();
  const int64_t lost = static_cast<int64_t>(expected) - static_cast<int64_t>(received_);
  b.cumulative_lost = static_cast<int32_t>(std::clamp<int64_t>(lost, -0x800000, 0x7fffff));
  const uint64_t expected_interval = expected - expected_prior_;
  const uint64_t received_interval = received_ - received_prior_;
  expected_prior_ = expected;
  received_prior_ = received_;
  if (expected_interval > 0 && expected_interval > received_interval) {
    b.fraction_lost = static_cast<uint8_t>(((expected_interval - received_interval) << 8) / expected_interval);
  }
  b.highest_seq = ext_max;
  b.jitter = static_cast<uint32_t>(jitter_);
  b.last_sr = last_sr_;
  if (last_sr_at_ms_ != 0) b.delay_since_last_sr = static_cast<uint32_t>((now_ms - last_sr_at_ms_) * 65536 / 1000);
  return b;
}

}  // namespace parley::rtc
