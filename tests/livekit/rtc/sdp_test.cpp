#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "livekit/rtc/negotiation.h"
#include "livekit/rtc/sdp.h"

namespace parley::rtc {
namespace {

std::string read_data(const std::string& name) {
  std::ifstream in(std::string(PARLEY_SOURCE_DIR) + "/tests/livekit/rtc/data/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LocalTransport local_transport(DtlsSetup setup) {
  LocalTransport t;
  t.ice_ufrag = "abcd";
  t.ice_pwd = "0123456789abcdefghijklmn";
  t.fingerprint.algorithm = "sha-256";
  t.fingerprint.digest.assign(32, 0xab);
  t.setup = setup;
  return t;
}

TEST(Sdp, ParsesLiveKitSubscriberOffer) {
  auto sdp = sdp::parse(read_data("livekit_subscriber_offer.sdp"));
  ASSERT_TRUE(sdp) << sdp.error().to_string();
  ASSERT_EQ(sdp->media.size(), 2u);
  EXPECT_EQ(sdp->media[0].media, "application");
  EXPECT_EQ(sdp->media[0].port, 9);
  EXPECT_EQ(sdp->media[1].formats, (std::vector<std::string>{"63", "111"}));
  EXPECT_EQ(sdp->get("group").value_or(""), "BUNDLE 0 1");

  auto remote = read_remote_description(*sdp, /*is_offer=*/true);
  ASSERT_TRUE(remote) << remote.error().to_string();
  EXPECT_EQ(remote->ice_ufrag, "hKqXGkPmzvRbXwJc");
  EXPECT_EQ(remote->ice_pwd, "OyJqkRzLCVAxTgxnUmjiDeQfSbWvHpNl");
  EXPECT_FALSE(remote->ice_lite);
  EXPECT_EQ(remote->setup, DtlsSetup::kActpass);
  EXPECT_EQ(remote->fingerprint.algorithm, "sha-256");
  ASSERT_EQ(remote->fingerprint.digest.size(), 32u);
  EXPECT_EQ(remote->fingerprint.digest[0], 0x3a);
  EXPECT_EQ(remote->candidates.size(), 2u);
  EXPECT_EQ(remote->candidates[1].rfind("candidate:1827423851 1 tcp", 0), 0u);
  EXPECT_TRUE(remote->end_of_candidates);
  const auto& audio = remote->sections[1];
  EXPECT_EQ(audio.kind, SectionKind::kAudio);
  EXPECT_EQ(audio.opus_pt, 111);  // RED (63) is listed first and ignored
  EXPECT_EQ(audio.opus_fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(audio.audio_level_ext, 1);
  EXPECT_EQ(audio.mid_ext, 4);
  EXPECT_EQ(audio.direction, "sendonly");
  EXPECT_EQ(audio.ssrcs, std::vector<uint32_t>{2710391811u});
  EXPECT_EQ(audio.msid, "PA_xJ3nQ8cF2kLm|TR_AMkw9CdzQ4rB TR_AMkw9CdzQ4rB");
  EXPECT_EQ(remote->sections[0].kind, SectionKind::kData);
  EXPECT_EQ(remote->sections[0].sctp_port, 5000);
}

TEST(Sdp, AnswerToLiveKitOfferIsOpusOnlyActiveAndBundled) {
  auto sdp = sdp::parse(read_data("livekit_subscriber_offer.sdp"));
  ASSERT_TRUE(sdp);
  auto remote = read_remote_description(*sdp, true);
  ASSERT_TRUE(remote);
  std::string answer = build_answer(local_transport(DtlsSetup::kActive), *remote, {42, 1});
  auto parsed = sdp::parse(answer);
  ASSERT_TRUE(parsed) << parsed.error().to_string() << "\n" << answer;
  EXPECT_EQ(parsed->get("group").value_or(""), "BUNDLE 0 1");
  ASSERT_EQ(parsed->media.size(), 2u);
  EXPECT_EQ(parsed->media[0].formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(parsed->media[1].formats, std::vector<std::string>{"111"});
  EXPECT_EQ(parsed->media[1].get_all("rtpmap"), std::vector<std::string>{"111 opus/48000/2"});
  EXPECT_TRUE(parsed->media[1].has("recvonly"));
  EXPECT_TRUE(parsed->media[1].has("rtcp-mux"));
  EXPECT_EQ(parsed->media[1].get("setup").value_or(""), "active");
  EXPECT_EQ(answer.find("red/48000"), std::string::npos);
  EXPECT_NE(answer.find("\r\n"), std::string::npos);
  // Our answer must read back as a valid answer.
  auto back = read_remote_description(*parsed, false);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->setup, DtlsSetup::kActive);
  EXPECT_EQ(back->ice_ufrag, "abcd");
}

TEST(Sdp, RejectsSectionsWithoutOpusAndVideo) {
  std::string text = read_data("livekit_subscriber_offer.sdp");
  text += "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=rtpmap:96 VP8/90000\r\n";
  auto sdp = sdp::parse(text);
  ASSERT_TRUE(sdp);
  auto remote = read_remote_description(*sdp, true);
  ASSERT_TRUE(remote);
  auto answer = sdp::parse(build_answer(local_transport(DtlsSetup::kActive), *remote, {1, 1}));
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->media.size(), 3u);
  EXPECT_EQ(answer->media[2].port, 0);
  EXPECT_EQ(answer->media[2].mid(), "2");
  EXPECT_EQ(answer->get("group").value_or(""), "BUNDLE 0 1");
}

TEST(Sdp, OfferHasDataAndSendonlyOpusWithAudioLevel) {
  std::vector<LocalSection> sections = {{SectionKind::kData, "0", "", "", 0, ""},
                                        {SectionKind::kAudio, "1", "stream", "TR_local", 1234, "cname"}};
  std::string offer = build_offer(local_transport(DtlsSetup::kActpass), sections, {7, 2});
  auto parsed = sdp::parse(offer);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->get("group").value_or(""), "BUNDLE 0 1");
  EXPECT_EQ(parsed->media[0].port, 9);
  EXPECT_FALSE(parsed->media[0].has("bundle-only"));
  EXPECT_EQ(parsed->media[0].get("sctp-port").value_or(""), "5000");
  EXPECT_TRUE(parsed->media[1].has("sendonly"));
  EXPECT_EQ(parsed->media[1].get("msid").value_or(""), "stream TR_local");
  EXPECT_EQ(offer.find("red/"), std::string::npos);
  auto remote = read_remote_description(*parsed, true);
  ASSERT_TRUE(remote) << remote.error().to_string();
  EXPECT_EQ(remote->sections[1].audio_level_ext, 1);
  EXPECT_EQ(remote->sections[1].ssrcs, std::vector<uint32_t>{1234});
  EXPECT_EQ(remote->setup, DtlsSetup::kActpass);
}

TEST(Sdp, CheckAnswerCatchesMismatches) {
  std::vector<LocalSection> sections = {{SectionKind::kData, "0", "", "", 0, ""},
                                        {SectionKind::kAudio, "1", "s", "t", 5, "c"}};
  auto offer = sdp::parse(build_offer(local_transport(DtlsSetup::kActpass), sections, {1, 1}));
  ASSERT_TRUE(offer);
  auto remote_offer = read_remote_description(*offer, true);
  ASSERT_TRUE(remote_offer);
  auto answer = sdp::parse(build_answer(local_transport(DtlsSetup::kActive), *remote_offer, {2, 1}));
  ASSERT_TRUE(answer);
  auto remote_answer = read_remote_description(*answer, false);
  ASSERT_TRUE(remote_answer);
  EXPECT_TRUE(check_answer(*remote_answer, sections));
  sections.push_back({SectionKind::kAudio, "2", "s", "u", 6, "c"});
  EXPECT_FALSE(check_answer(*remote_answer, sections));
}

TEST(Sdp, RoundTripKeepsUnknownLines) {
  auto sdp = sdp::parse(read_data("livekit_subscriber_offer.sdp"));
  ASSERT_TRUE(sdp);
  auto again = sdp::parse(sdp::write(*sdp));
  ASSERT_TRUE(again);
  EXPECT_EQ(sdp::write(*again), sdp::write(*sdp));
  EXPECT_EQ(again->media[1].get_all("rtcp-fb").size(), 2u);
}

TEST(Sdp, RejectsMalformedInput) {
  const char* cases[] = {
      "",
      "hello",
      "v=1\r\n",
      "o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n",
      "v=0\r\nm=audio\r\n",
      "v=0\r\nm=audio 70000 RTP/AVP 0\r\n",
      "v=0\r\nm=audio -1 RTP/AVP 0\r\n",
      "v=0\r\nm=audio 9x RTP/AVP 0\r\n",
      "v=0\r\nx\r\n",
      "v=0\r\na=\r\n",
      "v=0\r\nv=0\r\n",
      "v=0\r\nA=b\r\n",
      "v=0\r\na=x\x01y\r\n",
  };
  for (const char* c : cases) {
    auto r = sdp::parse(c);
    ASSERT_FALSE(r) << c;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(r.error().message.empty());
  }
  EXPECT_FALSE(sdp::parse(std::string(sdp::kMaxSdpBytes + 1, 'a')));
}

TEST(Sdp, RemoteDescriptionRejectsMissingOrAbsurdFields) {
  std::string base = read_data("livekit_subscriber_offer.sdp");
  auto check = [&](std::string from, std::string to, const char* needle) {
    std::string text = base;
    size_t p = text.find(from);
    ASSERT_NE(p, std::string::npos) << from;
    text.replace(p, from.size(), to);
    auto sdp = sdp::parse(text);
    if (!sdp) return;  // rejected by the parser already: fine
    auto r = read_remote_description(*sdp, true);
    ASSERT_FALSE(r) << "accepted with " << to;
    EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
  };
  check("a=fingerprint:sha-256 3A:5F", "a=fingerprint:md5 3A:5F", "fingerprint");
  check("a=fingerprint:sha-256 3A:5F", "a=fingerprint:sha-256 ZZ:5F", "fingerprint");
  check("a=fingerprint:sha-256 3A:5F:0B", "a=fingerprint:sha-256 3A:5F", "fingerprint");
  check("a=ice-pwd:OyJqkRzLCVAxTgxnUmjiDeQfSbWvHpNl\r\na=candidate", "a=candidate", "ice");
  check("a=rtpmap:111 opus/48000/2", "a=rtpmap:999 opus/48000/2", "rtpmap");
  check("a=extmap:1 urn", "a=extmap:0 urn", "extmap");
  check("a=ssrc:2710391811 cname", "a=ssrc:99999999999 cname", "ssrc");
  check("a=sctp-port:5000", "a=sctp-port:0", "sctp-port");
  check("a=mid:1\r\n", "a=mid:0\r\n", "duplicate");
  check("a=setup:actpass\r\na=mid:0", "a=setup:sideways\r\na=mid:0", "setup");
}

TEST(Sdp, FingerprintRoundTrip) {
  Fingerprint fp;
  fp.algorithm = "sha-256";
  for (int i = 0; i < 32; ++i) fp.digest.push_back(static_cast<uint8_t>(i * 7));
  auto back = Fingerprint::parse(fp.to_sdp());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->digest, fp.digest);
}

}  // namespace
}  // namespace parley::rtc
