// The packet parsers on arbitrary bytes, as they arrive off the wire: the RFC 7983 demux, RTP
// (with both header-extension forms), RTCP compounds, STUN and DCEP. None may crash or read out
// of bounds; an RTP packet that parses must carry a payload inside the buffer.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "livekit/rtc/data_channel.h"
#include "livekit/rtc/rtcp_packet.h"
#include "livekit/rtc/rtp_packet.h"
#include "livekit/rtc/stun_message.h"

using namespace parley::rtc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> p(data, size);
  (void)classify_packet(p);
  if (auto rtp = parse_rtp(p, 1, 4)) {
    if (rtp->payload.data() < data || rtp->payload.data() + rtp->payload.size() > data + size) abort();
  }
  if (auto rtcp = parse_rtcp(p)) {
    std::vector<uint8_t> out;
    for (const auto& r : rtcp->reports) {
      build_rtcp_report(r.ssrc, r.is_sender_report ? &r.sender : nullptr, r.blocks, "fuzz", out);
    }
    if (!out.empty() && !parse_rtcp(out)) abort();  // what we build must parse
  }
  (void)parse_stun(p);
  if (auto d = parse_dcep(p); d && *d) {
    if (!parse_dcep(encode_dcep_open(**d))) abort();
  }
  RtpReceiveStats stats;
  for (size_t i = 0; i + 6 <= size; i += 6) {
    stats.on_packet(static_cast<uint16_t>(data[i] << 8 | data[i + 1]),
                    static_cast<uint32_t>(data[i + 2]) << 8 | data[i + 3], static_cast<uint32_t>(data[i + 4]) << 8 | data[i + 5]);
  }
  (void)stats.make_block(1, 1000);
  return 0;
}
