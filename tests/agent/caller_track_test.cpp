// CallerTrack on the room events a livekit-server restart produces: the caller's track is
// unsubscribed, then the rejoined caller's new track is subscribed under the same identity.
#include <gtest/gtest.h>

#include "agent/caller_track.h"

namespace parley::agent {
namespace {

using livekit::ParticipantKind;

livekit::RemoteTrack audio(std::string sid, std::string identity) {
  livekit::RemoteTrack t;
  t.sid = std::move(sid);
  t.participant_identity = std::move(identity);
  t.participant_sid = "PA_" + t.participant_identity;
  return t;
}

TEST(CallerTrack, FollowsTheCallersTrackAcrossARejoin) {
  CallerTrack c("agent", "");
  EXPECT_EQ(c.on_subscribed(audio("TR_1", "caller"), ParticipantKind::kStandard), CallerTrack::Change::kFound);
  ASSERT_TRUE(c.caller());
  EXPECT_EQ(c.caller()->identity, "caller");
  EXPECT_TRUE(c.is_caller_audio("TR_1"));

  // The server restarted: the room rejoins and drops every subscription.
  EXPECT_TRUE(c.on_unsubscribed(audio("TR_1", "caller")));
  EXPECT_FALSE(c.is_caller_audio("TR_1"));
  ASSERT_TRUE(c.caller()) << "the caller is still the caller";

  // The caller rejoined and republished: its new track is the caller's audio.
  EXPECT_EQ(c.on_subscribed(audio("TR_2", "caller"), ParticipantKind::kStandard), CallerTrack::Change::kReplaced);
  EXPECT_TRUE(c.is_caller_audio("TR_2"));
  EXPECT_FALSE(c.is_caller_audio("TR_1"));
  EXPECT_EQ(c.caller()->track_sid, "TR_2");
}

TEST(CallerTrack, TheSameTrackSubscribedAgainChangesNothing) {
  CallerTrack c("agent", "caller");
  c.on_subscribed(audio("TR_1", "caller"), ParticipantKind::kSip);
  EXPECT_EQ(c.on_subscribed(audio("TR_1", "caller"), ParticipantKind::kSip), CallerTrack::Change::kNone);
  EXPECT_TRUE(c.caller()->sip);
}

TEST(CallerTrack, OthersNeverBecomeTheCaller) {
  CallerTrack c("agent", "caller");
  EXPECT_EQ(c.on_subscribed(audio("TR_a", "agent"), ParticipantKind::kStandard), CallerTrack::Change::kNone);
  EXPECT_EQ(c.on_subscribed(audio("TR_b", "other-agent"), ParticipantKind::kAgent), CallerTrack::Change::kNone);
  EXPECT_EQ(c.on_subscribed(audio("TR_x", "someone"), ParticipantKind::kStandard), CallerTrack::Change::kNone);
  EXPECT_FALSE(c.caller());
  EXPECT_EQ(c.on_subscribed(audio("TR_1", "caller"), ParticipantKind::kStandard), CallerTrack::Change::kFound);
  // After a rejoin, another participant's track does not take the caller's place.
  c.on_unsubscribed(audio("TR_1", "caller"));
  EXPECT_EQ(c.on_subscribed(audio("TR_y", "someone"), ParticipantKind::kStandard), CallerTrack::Change::kNone);
  EXPECT_FALSE(c.is_caller_audio("TR_y"));
  EXPECT_EQ(c.caller()->identity, "caller");
}

TEST(CallerTrack, AnotherParticipantsUnsubscribeKeepsTheCallersAudio) {
  CallerTrack c("agent", "");
  c.on_subscribed(audio("TR_1", "caller"), ParticipantKind::kStandard);
  EXPECT_FALSE(c.on_unsubscribed(audio("TR_x", "someone")));
  EXPECT_TRUE(c.is_caller_audio("TR_1"));
}

TEST(CallerTrack, VideoIsNotTheCallersAudio) {
  CallerTrack c("agent", "");
  auto v = audio("TR_v", "caller");
  v.audio = false;
  EXPECT_EQ(c.on_subscribed(v, ParticipantKind::kStandard), CallerTrack::Change::kNone);
  EXPECT_FALSE(c.caller());
}

}  // namespace
}  // namespace parley::agent
