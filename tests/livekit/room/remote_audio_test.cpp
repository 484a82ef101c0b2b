// RemoteAudio: when a subscribed track is announced to the room's owner.
#include <gtest/gtest.h>

#include "livekit/room/remote_audio.h"

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

}  // namespace
}  // namespace parley::livekit
