#include "livekit/webhook/webhook_event.h"

#include <gtest/gtest.h>

namespace parley::livekit::webhook {
namespace {

// Shaped like livekit-server v1.13 output for a SIP caller (protojson: lowerCamelCase, int64 as
// strings, enums as names, plus fields parley does not read).
constexpr const char* kSipJoined = R"({
  "event": "participant_joined",
  "room": {"sid": "RM_abc", "name": "call-_+15550001111_x1", "emptyTimeout": 300, "creationTime": "1764000000",
           "creationTimeMs": "1764000000123", "turnPassword": "t", "enabledCodecs": [{"mime": "audio/opus"}],
           "numParticipants": 1, "departureTimeout": 20},
  "participant": {"sid": "PA_xyz", "identity": "sip_+15550001111", "state": "ACTIVE", "joinedAt": "1764000001",
                  "joinedAtMs": "1764000001500", "name": "Phone +15550001111", "version": 3,
                  "permission": {"canSubscribe": true, "canPublish": true}, "kind": "SIP",
                  "attributes": {"sip.callID": "SCL_123", "sip.phoneNumber": "+15550001111",
                                 "sip.trunkPhoneNumber": "+15559998888", "sip.callStatus": "active"},
                  "kindDetails": ["CLOUD_AGENT"], "someFutureField": {"x": 1}},
  "id": "EV_123",
  "createdAt": "1764000002"
})";

TEST(WebhookEvent, ParsesLiveKitProtojson) {
  auto ev = parse_webhook_event(kSipJoined);
  ASSERT_TRUE(ev) << ev.error().message;
  EXPECT_EQ(ev->type, WebhookEventType::kParticipantJoined);
  EXPECT_EQ(ev->id, "EV_123");
  EXPECT_EQ(ev->created_at, 1764000002);
  ASSERT_TRUE(ev->room);
  EXPECT_EQ(ev->room->sid, "RM_abc");
  EXPECT_EQ(ev->room_name(), "call-_+15550001111_x1");
  EXPECT_EQ(ev->room->creation_time, 1764000000);
  EXPECT_EQ(ev->room->num_participants, 1u);
  ASSERT_TRUE(ev->participant);
  EXPECT_EQ(ev->participant->kind, ParticipantKind::kSip);
  EXPECT_EQ(ev->participant->state, ParticipantState::kActive);
  EXPECT_EQ(ev->participant->joined_at, 1764000001);
  EXPECT_EQ(ev->participant->attributes.at("sip.callID"), "SCL_123");
  EXPECT_EQ(ev->participant->attributes.size(), 4u);
}

TEST(WebhookEvent, AcceptsNumbersForEnumsAndInt64AndProtoFieldNames) {
  auto ev = parse_webhook_event(R"({"event":"track_published","id":"EV_9","created_at":1764000002,
    "room":{"name":"r"},"participant":{"sid":"PA_1","identity":"u","kind":3},
    "track":{"sid":"TR_1","type":0,"source":2,"mime_type":"audio/opus","muted":true}})");
  ASSERT_TRUE(ev) << ev.error().message;
  EXPECT_EQ(ev->created_at, 1764000002);
  EXPECT_EQ(ev->participant->kind, ParticipantKind::kSip);
  EXPECT_EQ(ev->track->type, TrackType::kAudio);
  EXPECT_EQ(ev->track->source, "2");
  EXPECT_EQ(ev->track->mime_type, "audio/opus");
  EXPECT_TRUE(ev->track->muted);
}

TEST(WebhookEvent, DefaultsOmittedAndUnknownEventsKept) {
  // STANDARD kind and JOINING state are protojson defaults, so LiveKit leaves them out.
  auto ev = parse_webhook_event(R"({"event":"participant_left","id":"EV_2","room":{"name":"r"},
                                    "participant":{"identity":"u"}})");
  ASSERT_TRUE(ev) << ev.error().message;
  EXPECT_EQ(ev->participant->kind, ParticipantKind::kStandard);
  auto other = parse_webhook_event(R"({"event":"egress_started","egressInfo":{"egressId":"EG_1"},"id":"EV_3"})");
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(other->type, WebhookEventType::kOther);
  EXPECT_EQ(other->room_name(), "");
}

TEST(WebhookEvent, RefusesWrongShapesWithTheReason) {
  struct Case {
    const char* body;
    const char* says;
  };
  const Case cases[] = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[]", "not a JSON object"},
      {"\"x\"", "not a JSON object"},
      {"{}", "event: missing"},
      {R"({"event":42})", "event: expected a string"},
      {R"({"event":"room_started","id":"EV_1"})", "room_started without room.name"},
      {R"({"event":"room_started","room":{"name":"r"}})", "without id"},
      {R"({"event":"room_started","id":"E","room":"r"})", "room: expected an object"},
      {R"({"event":"room_started","id":"E","room":{"name":7}})", "room.name: expected a string"},
      {R"({"event":"room_started","id":"E","room":{"name":"r","creationTime":"12x"}})", "room.creationTime"},
      {R"({"event":"room_started","id":"E","room":{"name":"r","creationTime":"99999999999999999999"}})", "room.creationTime"},
      {R"({"event":"room_started","id":"E","room":{"name":"r","numParticipants":-1}})", "room.numParticipants"},
      {R"({"event":"participant_joined","id":"E","room":{"name":"r"}})", "without participant.identity"},
      {R"({"event":"participant_joined","id":"E","room":{"name":"r"},"participant":{"identity":"u","attributes":{"a":1}}})",
       "participant.attributes.a"},
      {R"({"event":"participant_joined","id":"E","room":{"name":"r"},"participant":{"identity":"u","kind":true}})",
       "participant.kind"},
      {R"({"event":"track_published","id":"E","room":{"name":"r"},"participant":{"identity":"u"}})", "without track"},
      {R"({"event":"track_published","id":"E","room":{"name":"r"},"participant":{"identity":"u"},"track":[]})", "track: expected an object"},
  };
  for (const auto& c : cases) {
    auto ev = parse_webhook_event(c.body);
    ASSERT_FALSE(ev) << c.body;
    EXPECT_EQ(ev.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(ev.error().message.find(c.says), std::string::npos) << c.body << " -> " << ev.error().message;
  }
}

TEST(WebhookEvent, DeepNestingIsRefusedWithoutRecursion) {
  std::string deep(200000, '[');
  auto ev = parse_webhook_event(deep);
  ASSERT_FALSE(ev);
  EXPECT_NE(ev.error().message.find("nested"), std::string::npos);
}

}  // namespace
}  // namespace parley::livekit::webhook
