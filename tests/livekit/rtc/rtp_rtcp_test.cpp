#include <gtest/gtest.h>

#include "livekit/rtc/rtcp_packet.h"
#include "livekit/rtc/rtp_packet.h"
#include "livekit/rtc/stun_message.h"

namespace parley::rtc {
namespace {

TEST(Rtp, BuildParseRoundTripWithAudioLevel) {
  std::vector<uint8_t> out;
  const std::vector<uint8_t> payload = {1, 2, 3, 4, 5};
  build_rtp({true, 111, 65535, 0xdeadbeef, 0xcafebabe, 1, 42, true}, payload, out);
  EXPECT_EQ(out.size(), 12u + 8u + payload.size());
  EXPECT_EQ(classify_packet(out), PacketClass::kRtp);
  auto p = parse_rtp(out, 1, 0);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_TRUE(p->marker);
  EXPECT_EQ(p->payload_type, 111);
  EXPECT_EQ(p->seq, 65535);
  EXPECT_EQ(p->timestamp, 0xdeadbeef);
  EXPECT_EQ(p->ssrc, 0xcafebabe);
  EXPECT_EQ(p->audio_level, 42);
  EXPECT_TRUE(p->voice_activity);
  EXPECT_EQ(std::vector<uint8_t>(p->payload.begin(), p->payload.end()), payload);
  // Not negotiated: the extension is skipped.
  auto q = parse_rtp(out, 0, 0);
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->audio_level);
}

TEST(Rtp, ParsesTwoByteExtensionsCsrcsPaddingAndMid) {
  // V=2 P=1 X=1 CC=1, PT 111, two-byte extension with mid "1" (id 4), 2 bytes padding.
  std::vector<uint8_t> pkt = {0xB1, 111, 0, 7, 0, 0, 0, 9, 0, 0, 0, 5, /*csrc*/ 0, 0, 0, 1,
                              0x10, 0x00, 0x00, 0x01, /*id*/ 4, /*len*/ 1, '1', 0, /*payload*/ 0xAA, 0xBB,
                              /*padding*/ 0, 2};
  auto p = parse_rtp(pkt, 1, 4);
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(p->mid, "1");
  EXPECT_EQ(p->payload.size(), 2u);
  EXPECT_EQ(p->payload[0], 0xAA);
}

TEST(Rtp, RejectsGarbage) {
  std::vector<std::vector<uint8_t>> bad = {
      {},
      {0x80, 111},
      {0x40, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},                       // version 1
      {0x8F, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},                       // 15 CSRCs missing
      {0x90, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 9},     // extension too long
      {0xA0, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 200},               // padding too long
      {0xA0, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0},                 // padding 0
      {0x90, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 1, 0x1F, 1, 2, 3},  // element past end
  };
  for (const auto& b : bad) {
    auto p = parse_rtp(b, 1, 4);
    EXPECT_FALSE(p);
    if (!p) {
      EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(Demux, ClassifiesByFirstByte) {
  EXPECT_EQ(classify_packet(std::vector<uint8_t>{0x00, 0x01}), PacketClass::kStun);
  EXPECT_EQ(classify_packet(std::vector<uint8_t>{22, 254}), PacketClass::kDtls);
  EXPECT_EQ(classify_packet(std::vector<uint8_t>{0x80, 200}), PacketClass::kRtcp);
  EXPECT_EQ(classify_packet(std::vector<uint8_t>{0x80, 111}), PacketClass::kRtp);
  EXPECT_EQ(classify_packet(std::vector<uint8_t>{0x80, 0xEF}), PacketClass::kRtp);  // marker + PT 111
  EXPECT_EQ(classify_packet(std::vector<uint8_t>{100}), PacketClass::kUnknown);
  EXPECT_EQ(classify_packet(std::vector<uint8_t>{}), PacketClass::kUnknown);
}

TEST(Rtcp, SenderReportRoundTrip) {
  std::vector<uint8_t> out;
  SenderInfo si{0x1122334455667788ULL, 48000, 50, 4000};
  ReportBlock b;
  b.ssrc = 77;
  b.fraction_lost = 12;
  b.cumulative_lost = -3;
  b.highest_seq = 70000;
  b.jitter = 5;
  b.last_sr = 0x33445566;
  b.delay_since_last_sr = 65536;
  build_rtcp_report(0xabcdef, &si, {b}, "parley", out);
  EXPECT_EQ(out.size() % 4, 0u);
  EXPECT_EQ(classify_packet(out), PacketClass::kRtcp);
  auto c = parse_rtcp(out);
  ASSERT_TRUE(c) << c.error().to_string();
  ASSERT_EQ(c->reports.size(), 1u);
  EXPECT_EQ(c->other_packets, 1u);  // SDES
  const auto& r = c->reports[0];
  EXPECT_TRUE(r.is_sender_report);
  EXPECT_EQ(r.ssrc, 0xabcdefu);
  EXPECT_EQ(r.sender.ntp, si.ntp);
  EXPECT_EQ(r.sender.packet_count, 50u);
  ASSERT_EQ(r.blocks.size(), 1u);
  EXPECT_EQ(r.blocks[0].cumulative_lost, -3);
  EXPECT_EQ(r.blocks[0].highest_seq, 70000u);
  EXPECT_EQ(r.blocks[0].last_sr, 0x33445566u);
}

TEST(Rtcp, ReceiverReportAndBye) {
  std::vector<uint8_t> out;
  build_rtcp_report(5, nullptr, {}, "x", out);
  const std::vector<uint8_t> bye = {0x81, 203, 0, 1, 0, 0, 0, 9};
  out.insert(out.end(), bye.begin(), bye.end());
  auto c = parse_rtcp(out);
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_FALSE(c->reports[0].is_sender_report);
  EXPECT_EQ(c->byes, std::vector<uint32_t>{9});
}

TEST(Rtcp, RejectsGarbage) {
  std::vector<std::vector<uint8_t>> bad = {
      {},
      {0x80, 200},
      {0x80, 200, 0, 10, 0, 0, 0, 0},                 // length past end
      {0x40, 200, 0, 0},                              // version
      {0x81, 201, 0, 1, 0, 0, 0, 1},                  // RR count 1 without the block
      {0x80, 100, 0, 0},                              // type out of range
      {0x80, 201, 0, 1, 0, 0, 0, 1, 0x80},            // trailing byte
  };
  for (const auto& b : bad) EXPECT_FALSE(parse_rtcp(b));
}

TEST(RtpReceiveStats, CountsLossAndWrap) {
  RtpReceiveStats s;
  uint16_t seq = 65530;
  for (int i = 0; i < 20; ++i, ++seq) {
    if (i == 7 || i == 8) continue;  // two lost, across the wrap
    s.on_packet(seq, 960u * i, 960u * i);
  }
  auto b = s.make_block(1, 1000);
  EXPECT_EQ(b.cumulative_lost, 2);
  EXPECT_EQ(b.highest_seq, 65536u + 13u);
  EXPECT_GT(b.fraction_lost, 0);
  EXPECT_EQ(b.jitter, 0u);
}

TEST(Stun, ParsesBindingRequestAndRejectsGarbage) {
  // Binding request, one USERNAME attribute "ab:c" + FINGERPRINT.
  std::vector<uint8_t> m = {0x00, 0x01, 0x00, 16, 0x21, 0x12, 0xA4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                            0x00, 0x06, 0x00, 0x04, 'a', 'b', ':', 'c', 0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0};
  EXPECT_EQ(classify_packet(m), PacketClass::kStun);
  auto s = parse_stun(m);
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->type, 1);
  EXPECT_EQ(s->attributes.size(), 2u);
  EXPECT_TRUE(s->has_fingerprint);
  auto bad_cookie = m;
  bad_cookie[4] = 0;
  EXPECT_FALSE(parse_stun(bad_cookie));
  auto bad_len = m;
  bad_len[3] = 20;
  EXPECT_FALSE(parse_stun(bad_len));
  auto bad_attr = m;
  bad_attr[23] = 40;
  EXPECT_FALSE(parse_stun(bad_attr));
  EXPECT_FALSE(parse_stun(std::vector<uint8_t>(10, 0)));
}

}  // namespace
}  // namespace parley::rtc
