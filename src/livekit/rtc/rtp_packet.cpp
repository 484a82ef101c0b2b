#include "livekit/rtc/rtp_packet.h"

namespace parley::rtc {

namespace {
uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}
Error bad(const char* what) { return Error(ErrorCode::kInvalidArgument, std::string("RTP: ") + what); }
}  // namespace

PacketClass classify_packet(std::span<const uint8_t> p) {
  if (p.empty()) return PacketClass::kUnknown;
  const uint8_t b = p[0];
  if (b <= 3) return PacketClass::kStun;
  if (b >= 20 && b <= 63) return PacketClass::kDtls;
  if (b >= 128 && b <= 191) {
    if (p.size() < 2) return PacketClass::kUnknown;
    const uint8_t pt = p[1] & 0x7f;
    return (pt >= 64 && pt <= 95) ? PacketClass::kRtcp : PacketClass::kRtp;
  }
  return PacketClass::kUnknown;
}

Result<RtpPacketView> parse_rtp(std::span<const uint8_t> p, int audio_level_ext_id, int mid_ext_id) {
  if (p.size() < 12) return tl::unexpected(bad("packet shorter than the 12-byte header"));
  if ((p[0] >> 6) != 2) return tl::unexpected(bad("version is not 2"));
  RtpPacketView v;
  const bool padding = p[0] & 0x20;
  const bool extension = p[0] & 0x10;
  const size_t csrc_count = p[0] & 0x0f;
  v.marker = p[1] & 0x80;
  v.payload_type = p[1] & 0x7f;
  v.seq = be16(&p[2]);
  v.timestamp = be32(&p[4]);
  v.ssrc = be32(&p[8]);
  size_t offset = 12 + 4 * csrc_count;
  if (offset > p.size()) return tl::unexpected(bad("CSRC list runs past the packet"));
  if (extension) {
    if (offset + 4 > p.size()) return tl::unexpected(bad("extension header runs past the packet"));
    const uint16_t profile = be16(&p[offset]);
    const size_t ext_len = 4u * be16(&p[offset + 2]);
    const size_t start = offset + 4;
    if (start + ext_len > p.size()) return tl::unexpected(bad("extension runs past the packet"));
    const bool one_byte = profile == 0xBEDE;
    const bool two_byte = (profile & 0xfff0) == 0x1000;
    size_t i = start;
    const size_t end = start + ext_len;
    while ((one_byte || two_byte) && i < end) {
      if (p[i] == 0) {  // padding byte
        ++i;
        continue;
      }
      int id;
      size_t len;
      if (one_byte) {
        id = p[i] >> 4;
        len = (p[i] & 0x0f) + 1u;
        if (id == 15) break;  // RFC 8285: stop processing
        i += 1;
      } else {
        if (i + 2 > end) return tl::unexpected(bad("two-byte extension element truncated"));
        id = p[i];
        len = p[i + 1];
        i += 2;
      }
      if (i + len > end) return tl::unexpected(bad("extension element runs past the extension"));
      if (id == audio_level_ext_id && audio_level_ext_id != 0 && len >= 1) {
        v.voice_activity = p[i] & 0x80;
        v.audio_level = static_cast<uint8_t>(p[i] & 0x7f);
      } else if (id == mid_ext_id && mid_ext_id != 0) {
        v.mid.assign(reinterpret_cast<const char*>(&p[i]), len);
      }
      i += len;
    }
    offset = end;
  }
  size_t payload_end = p.size();
  if (padding) {
    const uint8_t pad = p.back();
    if (pad == 0 || offset + pad > p.size()) return tl::unexpected(bad("bad padding length"));
    payload_end -= pad;
  }
  v.payload = p.subspan(offset, payload_end - offset);
  return v;
}

void build_rtp(const RtpHeaderFields& h, std::span<const uint8_t> payload, std::vector<uint8_t>& out, size_t tail_room) {
  const bool ext = h.audio_level_ext_id > 0 && h.audio_level_ext_id < 15;
  out.clear();
  out.reserve(12 + (ext ? 8 : 0) + payload.size() + tail_room);
  out.push_back(static_cast<uint8_t>(0x80 | (ext ? 0x10 : 0)));
  out.push_back(static_cast<uint8_t>((h.marker ? 0x80 : 0) | (h.payload_type & 0x7f)));
  out.push_back(static_cast<uint8_t>(h.seq >> 8));
  out.push_back(static_cast<uint8_t>(h.seq));
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(h.timestamp >> s));
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(h.ssrc >> s));
  if (ext) {
    // One-byte header (0xBEDE), one 4-byte word: id/len(0 = 1 byte), V|level, two padding bytes.
    const uint8_t words[] = {0xBE, 0xDE, 0x00, 0x01, static_cast<uint8_t>(h.audio_level_ext_id << 4),
                             static_cast<uint8_t>((h.voice_activity ? 0x80 : 0) | (h.audio_level & 0x7f)), 0, 0};
    out.insert(out.end(), std::begin(words), std::end(words));
  }
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace parley::rtc
