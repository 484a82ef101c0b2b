// Two of our DtlsTransports complete a DTLS-SRTP handshake over memory on one GlibLoop, export
// keys, and protect/unprotect RTP and RTCP with them; a wrong fingerprint fails the handshake.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "core/glib_loop.h"
#include "livekit/rtc/dtls_transport.h"
#include "livekit/rtc/rtcp_packet.h"
#include "livekit/rtc/rtp_packet.h"
#include "livekit/rtc/srtp_session.h"

namespace parley::rtc {
namespace {

using namespace std::chrono_literals;

template <class F>
auto run_on(GlibLoop& loop, F fn) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto fut = task.get_future();
  loop.post([&task] { task(); });
  return fut.get();
}

struct Pair {
  std::unique_ptr<DtlsTransport> client, server;
  std::promise<void> client_up, server_up;
  std::promise<std::string> failed;
  bool failed_set = false;
  std::vector<std::string> server_got;
};

// Wires a client and a server to each other through post() (a lossless in-memory "wire").
void make_pair(GlibLoop& loop, Pair& p, bool corrupt_fingerprint) {
  auto cc = DtlsCertificate::generate();
  auto sc = DtlsCertificate::generate();
  ASSERT_TRUE(cc && sc);
  Fingerprint client_fp = (*cc)->fingerprint(), server_fp = (*sc)->fingerprint();
  if (corrupt_fingerprint) server_fp.digest[3] ^= 0x40;
  auto on_fail = [&p](const Error& e) {
    if (!p.failed_set) {
      p.failed_set = true;
      p.failed.set_value(e.to_string());
    }
  };
  DtlsTransport::Callbacks ccb;
  ccb.send = [&loop, &p](std::span<const uint8_t> d) {
    std::vector<uint8_t> copy(d.begin(), d.end());
    loop.post([&p, copy] { if (p.server) p.server->receive(copy); });
  };
  ccb.on_connected = [&p] { p.client_up.set_value(); };
  ccb.on_failed = on_fail;
  DtlsTransport::Callbacks scb;
  scb.send = [&loop, &p](std::span<const uint8_t> d) {
    std::vector<uint8_t> copy(d.begin(), d.end());
    loop.post([&p, copy] { if (p.client) p.client->receive(copy); });
  };
  scb.on_connected = [&p] { p.server_up.set_value(); };
  scb.on_failed = on_fail;
  scb.on_data = [&p](std::span<const uint8_t> d) { p.server_got.emplace_back(d.begin(), d.end()); };
  auto c = DtlsTransport::create(loop, *cc, DtlsRole::kClient, server_fp, ccb);
  auto s = DtlsTransport::create(loop, *sc, DtlsRole::kServer, client_fp, scb);
  ASSERT_TRUE(c && s);
  p.client = std::move(*c);
  p.server = std::move(*s);
}

TEST(DtlsSrtp, HandshakeOverMemoryExportsMatchingKeys) {
  GlibLoop loop("dtls-test");
  Pair p;
  run_on(loop, [&] {
    make_pair(loop, p, false);
    p.server->start();
    p.client->start();
    return 0;
  });
  auto cf = p.client_up.get_future(), sf = p.server_up.get_future();
  ASSERT_EQ(cf.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(sf.wait_for(10s), std::future_status::ready);

  run_on(loop, [&] {
    auto ck = p.client->srtp_keys();
    auto sk = p.server->srtp_keys();
    EXPECT_TRUE(ck && sk);
    if (!ck || !sk) return 0;
    EXPECT_EQ(ck->profile, SrtpProfile::kAeadAes128Gcm);
    EXPECT_EQ(ck->local, sk->remote);
    EXPECT_EQ(ck->remote, sk->local);
    EXPECT_NE(ck->local, ck->remote);

    auto tx = SrtpSession::create(ck->profile, ck->local, ck->remote);
    auto rx = SrtpSession::create(sk->profile, sk->local, sk->remote);
    EXPECT_TRUE(tx && rx);
    const std::vector<uint8_t> opus = {0xfc, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7};
    for (uint16_t seq = 100; seq < 110; ++seq) {
      std::vector<uint8_t> pkt;
      build_rtp({seq == 100, 111, seq, 960u * seq, 0x1234, 1, 30, true}, opus, pkt, kSrtpMaxTrailer);
      const auto plain = pkt;
      EXPECT_TRUE((*tx)->protect_rtp(pkt));
      EXPECT_NE(pkt, plain);
      EXPECT_GT(pkt.size(), plain.size());
      auto tampered = pkt;
      tampered[tampered.size() - 20] ^= 1;
      EXPECT_FALSE((*rx)->unprotect_rtp(tampered));
      EXPECT_TRUE((*rx)->unprotect_rtp(pkt));
      EXPECT_EQ(pkt, plain);
      auto parsed = parse_rtp(pkt, 1);
      EXPECT_TRUE(parsed);
      EXPECT_EQ(parsed->seq, seq);
      EXPECT_EQ(parsed->audio_level, 30);
      EXPECT_EQ(std::vector<uint8_t>(parsed->payload.begin(), parsed->payload.end()), opus);
    }
    // A replay of a packet already accepted is refused.
    std::vector<uint8_t> pkt;
    build_rtp({false, 111, 200, 1, 0x1234, 0, 0, false}, opus, pkt, kSrtpMaxTrailer);
    EXPECT_TRUE((*tx)->protect_rtp(pkt));
    auto replay = pkt;
    EXPECT_TRUE((*rx)->unprotect_rtp(pkt));
    EXPECT_FALSE((*rx)->unprotect_rtp(replay));

    std::vector<uint8_t> rtcp;
    SenderInfo si{0x0123456789abcdefULL, 960, 10, 100};
    build_rtcp_report(0x1234, &si, {}, "cname", rtcp);
    const auto plain_rtcp = rtcp;
    EXPECT_TRUE((*tx)->protect_rtcp(rtcp));
    EXPECT_TRUE((*rx)->unprotect_rtcp(rtcp));
    EXPECT_EQ(rtcp, plain_rtcp);
    // SCTP rides DTLS application data.
    const std::vector<uint8_t> app = {9, 8, 7};
    EXPECT_TRUE(p.client->send(app));
    return 0;
  });
  // The application record crosses the in-memory wire.
  for (int i = 0; i < 200; ++i) {
    if (run_on(loop, [&] { return p.server_got.size(); }) == 1) break;
    std::this_thread::sleep_for(5ms);
  }
  run_on(loop, [&] {
    EXPECT_EQ(p.server_got.size(), 1u);
    if (!p.server_got.empty()) {
      EXPECT_EQ(p.server_got[0], std::string("\x09\x08\x07"));
    }
    p.client.reset();
    p.server.reset();
    return 0;
  });
}

TEST(DtlsSrtp, WrongFingerprintFailsTheHandshake) {
  GlibLoop loop("dtls-test");
  Pair p;
  run_on(loop, [&] {
    make_pair(loop, p, true);
    p.server->start();
    p.client->start();
    return 0;
  });
  auto f = p.failed.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_NE(f.get().find("fingerprint"), std::string::npos);
  run_on(loop, [&] {
    EXPECT_FALSE(p.client->srtp_keys());
    p.client.reset();
    p.server.reset();
    return 0;
  });
}

TEST(DtlsSrtp, StrayDatagramsBeforeTheHandshakeAreDroppedAndTheHandshakeStillCompletes) {
  GlibLoop loop("dtls-test");
  Pair p;
  auto failed = p.failed.get_future();
  run_on(loop, [&] {
    make_pair(loop, p, false);
    p.server->start();
    // A lone content-type byte, a short application record, an empty datagram: what a stray
    // sender could put on the media port before the peer's first flight.
    p.server->receive(std::vector<uint8_t>{23});
    p.server->receive(std::vector<uint8_t>{23, 254, 253, 0, 1, 0, 0, 0, 0, 0, 7, 0, 2, 9, 9});
    p.server->receive(std::vector<uint8_t>{});
    // Then the real peer: datagram DTLS drops records it cannot parse, so it connects as usual.
    p.client->start();
    return 0;
  });
  auto cf = p.client_up.get_future(), sf = p.server_up.get_future();
  ASSERT_EQ(sf.wait_for(10s), std::future_status::ready) << "the garbage broke the server's handshake";
  ASSERT_EQ(cf.wait_for(10s), std::future_status::ready);
  EXPECT_NE(failed.wait_for(0s), std::future_status::ready) << "a handshake failure was reported";
  run_on(loop, [&] {
    auto ck = p.client->srtp_keys();
    auto sk = p.server->srtp_keys();
    EXPECT_TRUE(ck && sk);
    if (ck && sk) {
      EXPECT_EQ(ck->local, sk->remote);
    }
    EXPECT_TRUE(p.server_got.empty()) << "garbage surfaced as application data";
    p.client.reset();
    p.server.reset();
    return 0;
  });
}

// A forged ClientHello fragment (epoch 0, sequence 0, shorter than a handshake header) before
// the real one: OpenSSL keeps it and then never completes the real handshake (found by this
// test; left open: datagrams reach DTLS only from the ICE-checked peer address, so forging one
// needs a spoofed source). What must hold: nothing crashes, nothing surfaces as data, and the
// transports die cleanly.
TEST(DtlsSrtp, AForgedHandshakeFragmentDoesNotCrashOrSurface) {
  GlibLoop loop("dtls-test");
  Pair p;
  run_on(loop, [&] {
    make_pair(loop, p, false);
    p.server->start();
    const std::vector<uint8_t> junk = {22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5};
    p.server->receive(junk);
    p.client->start();
    return 0;
  });
  auto sf = p.server_up.get_future();
  (void)sf.wait_for(300ms);  // time for the client's first flight and the server's answer
  run_on(loop, [&] {
    EXPECT_TRUE(p.server_got.empty()) << "garbage surfaced as application data";
    EXPECT_FALSE(p.server->srtp_keys()) << "no keys without a handshake";
    p.client.reset();
    p.server.reset();
    return 0;
  });
}

TEST(Srtp, RejectsWrongKeyLengths) {
  std::vector<uint8_t> k(10);
  auto s = SrtpSession::create(SrtpProfile::kAes128CmSha1_80, k, k);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
}

TEST(Srtp, Aes128CmProtectUnprotect) {
  std::vector<uint8_t> a(30, 1), b(30, 2);
  auto tx = SrtpSession::create(SrtpProfile::kAes128CmSha1_80, a, b);
  auto rx = SrtpSession::create(SrtpProfile::kAes128CmSha1_80, b, a);
  ASSERT_TRUE(tx && rx);
  std::vector<uint8_t> pkt;
  const std::vector<uint8_t> payload(80, 0x55);
  build_rtp({true, 111, 1, 2, 3, 0, 0, false}, payload, pkt, kSrtpMaxTrailer);
  auto plain = pkt;
  ASSERT_TRUE((*tx)->protect_rtp(pkt));
  EXPECT_EQ(pkt.size(), plain.size() + 10);  // HMAC-SHA1-80 tag
  ASSERT_TRUE((*rx)->unprotect_rtp(pkt));
  EXPECT_EQ(pkt, plain);
  std::vector<uint8_t> junk(5, 0x80);
  EXPECT_FALSE((*rx)->unprotect_rtp(junk));
  std::vector<uint8_t> junk2(40, 0x80);
  EXPECT_FALSE((*rx)->unprotect_rtp(junk2));
  EXPECT_FALSE((*rx)->unprotect_rtcp(junk2));
}

}  // namespace
}  // namespace parley::rtc
