// LiveKit's WebhookEvent, as parley reads it from the protojson body of a webhook
// (livekit_webhook.proto; protocol notes §6). Only the fields parley acts on are kept; unknown
// fields are ignored, as protojson readers must.
//
// protojson rules honoured here: field names in lowerCamelCase (the proto's snake_case names are
// accepted too), int64 as decimal strings (numbers accepted), enums as names (numbers accepted),
// default values omitted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/error.h"

namespace parley::livekit::webhook {

// ParticipantInfo.Kind
enum class ParticipantKind { kStandard, kIngress, kEgress, kSip, kAgent, kUnknown };
// ParticipantInfo.State
enum class ParticipantState { kJoining, kJoined, kActive, kDisconnected, kUnknown };
// TrackType
enum class TrackType { kAudio, kVideo, kData, kUnknown };

std::string_view to_string(ParticipantKind k);
std::string_view to_string(ParticipantState s);
std::string_view to_string(TrackType t);

enum class WebhookEventType {
  kRoomStarted,
  kRoomFinished,
  kParticipantJoined,
  kParticipantLeft,
  kParticipantConnectionAborted,
  kTrackPublished,
  kTrackUnpublished,
  kOther,  // egress_*, ingress_*, agent_job_*, and names added later: logged, not acted on
};

WebhookEventType webhook_event_type(std::string_view name);

struct RoomInfo {
  std::string sid;
  std::string name;
  std::string metadata;
  int64_t creation_time = 0;  // unix seconds
  uint32_t num_participants = 0;
};

struct ParticipantInfo {
  std::string sid;
  std::string identity;
  std::string name;
  std::string metadata;
  ParticipantKind kind = ParticipantKind::kStandard;
  ParticipantState state = ParticipantState::kJoining;
  int64_t joined_at = 0;  // unix seconds
  std::map<std::string, std::string> attributes;
};

struct TrackInfo {
  std::string sid;
  std::string name;
  TrackType type = TrackType::kAudio;
  std::string source;  // TrackSource name: MICROPHONE, CAMERA, ...
  bool muted = false;
  std::string mime_type;
};

struct WebhookEvent {
  std::string event;  // the name LiveKit sent ("participant_joined")
  WebhookEventType type = WebhookEventType::kOther;
  std::string id;          // "EV_..."; unique per event, the same on every retry
  int64_t created_at = 0;  // unix seconds
  std::optional<RoomInfo> room;
  std::optional<ParticipantInfo> participant;
  std::optional<TrackInfo> track;

  // The room's name, or "" when the event carries no room.
  const std::string& room_name() const;
};

// Parses a webhook body. Errors (kInvalidArgument) say what is wrong and where
// ("participant.attributes: expected an object"). Never throws.
Result<WebhookEvent> parse_webhook_event(std::string_view body);

// The same readers for a Room or ParticipantInfo object on its own, as the server API returns
// them (ListRooms, ListParticipants: the same protojson), so a participant reads alike whichever
// way parley saw it.
Result<RoomInfo> parse_room_info(const nlohmann::json& room);
Result<ParticipantInfo> parse_participant_info(const nlohmann::json& participant);

}  // namespace parley::livekit::webhook
