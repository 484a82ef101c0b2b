// RemoteAudio: when a subscribed track is announced to the room's owner.
#include <gtest/gtest.h>

#include "livekit/room/remote_audio.h"

#include <cmath>

#include "media/opus_encoder.h"

namespace parley::livekit {
namespace {

struct Announcements {
  RoomCallbacks callbacks;
  std::vector<std::string> subscribed, unsubscribed;
  Announcements() {
    callbacks.on_track_subscribed = [this](const RemoteTrack& t) { subscribed.push_back(t.sid + " of " + t.participant_identity); };
    callbacks.on_track_unsubscribed = [this](const RemoteTrack& t) { unsubscribed.push_back(t.sid); };
  }
};

::livekit::ParticipantInfo caller(bool lists_the_track) {
  ::livekit::ParticipantInfo p;
  p.set_sid("PA_caller");
  p.set_identity("sip_+15550100");
  if (lists_the_track) {
    auto* t = p.add_tracks();
    t->set_sid("TR_voice");
    t->set_type(::livekit::AUDIO);
    t->set_name("phone");
  }
  return p;
}

const std::map<std::string, SdpTrack> kOffer{{"1", SdpTrack{"PA_caller", "TR_voice", "audio"}}};
const auto kNobodyKnown = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };

TEST(RemoteAudio, ATrackOfAKnownParticipantIsAnnouncedWithTheOffer) {
  Announcements a;
  log::Logger log = log::root();
  RemoteAudio ra(a.callbacks, log, 16000);
  ra.apply(kOffer, [](const std::string& sid) -> std::optional<std::string> {
    return sid == "PA_caller" ? std::optional<std::string>("sip_+15550100") : std::nullopt;
  });
  EXPECT_EQ(a.subscribed, std::vector<std::string>{"TR_voice of sip_+15550100"});
}

TEST(RemoteAudio, ATrackOfferedBeforeItsParticipantIsAnnouncedWhenTheParticipantIsKnown) {
  Announcements a;
  log::Logger log = log::root();
  RemoteAudio ra(a.callbacks, log, 16000);
  ra.apply(kOffer, kNobodyKnown);
  EXPECT_TRUE(a.subscribed.empty()) << "held until its participant is known";
  ra.participant_updated(caller(true));
  EXPECT_EQ(a.subscribed, std::vector<std::string>{"TR_voice of sip_+15550100"});
  ra.participant_updated(caller(true));  // once only
  EXPECT_EQ(a.subscribed.size(), 1u);
}

TEST(RemoteAudio, AHeldTrackIsAnnouncedEvenWhenItsParticipantsInfoDoesNotListIt) {
  // The offer subscribes us; an info that does not (yet) list the track must not keep it held,
  // or the caller's audio never reaches the agent.
  Announcements a;
  log::Logger log = log::root();
  RemoteAudio ra(a.callbacks, log, 16000);
  ra.apply(kOffer, kNobodyKnown);
  ra.participant_updated(caller(false));
  EXPECT_EQ(a.subscribed, std::vector<std::string>{"TR_voice of sip_+15550100"});
  ra.participant_left("PA_caller");
  EXPECT_EQ(a.unsubscribed, std::vector<std::string>{"TR_voice"});
}

// An Opus packet of the caller's track (mid "1"), 20 ms of a tone.
rtc::RtpAudioPacket caller_packet(media::OpusEncoder& enc, uint16_t k) {
  std::vector<int16_t> pcm(960);
  for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>(8000 * std::sin(0.05 * static_cast<double>(960 * k + i)));
  rtc::RtpAudioPacket p;
  p.mid = "1";
  p.seq = k;
  p.timestamp = 960u * k;
  auto bytes = enc.encode(media::AudioFrame::from_samples(48000, 1, pcm));
  EXPECT_TRUE(bytes);
  p.payload.assign(bytes->begin(), bytes->end());
  return p;
}

// As received (the agent), a frame goes out with the packet that completes it; paced (a listener),
// only on the ticks, behind the buffer's delay.
TEST(RemoteAudio, AsReceivedAFrameGoesOutWithItsPacket) {
  auto enc = media::OpusEncoder::create({});
  ASSERT_TRUE(enc);
  const auto known = [](const std::string&) -> std::optional<std::string> { return "sip_+15550100"; };
  for (const bool as_received : {true, false}) {
    Announcements a;
    int frames = 0;
    a.callbacks.on_audio = [&](const RemoteTrack& t, const media::AudioFrame& f) {
      EXPECT_EQ(t.sid, "TR_voice");
      EXPECT_EQ(f.sample_rate, 16000);
      EXPECT_EQ(f.samples_per_channel, 320);
      ++frames;
    };
    log::Logger log = log::root();
    RemoteAudio ra(a.callbacks, log, 16000, as_received);
    ra.apply(kOffer, known);
    const bool closed = false;
    for (uint16_t k = 0; k < 3; ++k) ra.on_rtp(caller_packet(**enc, k), closed);
    EXPECT_EQ(frames, as_received ? 3 : 0) << "as received: " << as_received;
    ra.pump(closed);
    EXPECT_EQ(frames, as_received ? 3 : 1) << "as received, the tick has nothing overdue";
  }
}

}  // namespace
}  // namespace parley::livekit
