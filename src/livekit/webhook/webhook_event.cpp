#include "livekit/webhook/webhook_event.h"

#include <charconv>
#include <limits>

#include <nlohmann/json.hpp>

namespace parley::livekit::webhook {
namespace {

using nlohmann::json;

// Reads one protojson message; the first problem is kept with its path.
class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {}

  // protojson writers use lowerCamelCase; readers must also take the proto field name.
  const json* find(std::string_view camel, std::string_view snake = {}) const {
    auto it = j_.find(std::string(camel));
    if (it != j_.end() && !it->is_null()) return &*it;
    if (!snake.empty()) {
      it = j_.find(std::string(snake));
      if (it != j_.end() && !it->is_null()) return &*it;
    }
    return nullptr;
  }

  Status string(std::string_view camel, std::string& out, std::string_view snake = {}) const {
    const json* v = find(camel, snake);
    if (!v) return {};
    if (!v->is_string()) return wrong(camel, "a string");
    out = v->get<std::string>();
    return {};
  }

  Status boolean(std::string_view camel, bool& out) const {
    const json* v = find(camel);
    if (!v) return {};
    if (!v->is_boolean()) return wrong(camel, "true or false");
    out = v->get<bool>();
    return {};
  }

  // int64/uint32: a decimal string (protojson's int64) or a JSON integer.
  template <class Int>
  Status integer(std::string_view camel, Int& out, std::string_view snake = {}) const {
    const json* v = find(camel, snake);
    if (!v) return {};
    long long n = 0;
    if (v->is_number_integer()) {
      if (v->is_number_unsigned() && v->get<unsigned long long>() > static_cast<unsigned long long>(
                                         std::numeric_limits<long long>::max())) {
        return wrong(camel, "an integer in range");
      }
      n = v->get<long long>();
    } else if (v->is_string()) {
      const auto& s = v->get_ref<const std::string&>();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return wrong(camel, "an integer");
    } else {
      return wrong(camel, "an integer");
    }
    if (n < static_cast<long long>(std::numeric_limits<Int>::min()) ||
        (n > 0 && static_cast<unsigned long long>(n) > static_cast<unsigned long long>(std::numeric_limits<Int>::max()))) {
      return wrong(camel, "an integer in range");
    }
    out = static_cast<Int>(n);
    return {};
  }

  // An enum: its name (protojson) or its number.
  template <class E>
  Status enumeration(std::string_view camel, E& out, E (*from_name)(std::string_view), E (*from_number)(long long)) const {
    const json* v = find(camel);
    if (!v) return {};
    if (v->is_string()) {
      out = from_name(v->get_ref<const std::string&>());
    } else if (v->is_number_integer()) {
      out = from_number(v->get<long long>());
    } else {
      return wrong(camel, "an enum name or number");
    }
    return {};
  }

  Status string_map(std::string_view camel, std::map<std::string, std::string>& out) const {
    const json* v = find(camel);
    if (!v) return {};
    if (!v->is_object()) return wrong(camel, "an object");
    for (const auto& [k, val] : v->items()) {
      if (!val.is_string()) return make_error(ErrorCode::kInvalidArgument, path_ + std::string(camel) + "." + k + ": expected a string");
      out[k] = val.get<std::string>();
    }
    return {};
  }

  // A nested message: nullptr when absent; an error when present but not an object.
  Result<const json*> message(std::string_view camel, std::string_view snake = {}) const {
    const json* v = find(camel, snake);
    if (!v) return nullptr;
    if (!v->is_object()) return tl::unexpected(wrong(camel, "an object").error());
    return v;
  }

  const std::string& path() const { return path_; }

 private:
  Status wrong(std::string_view field, std::string_view expected) const {
    return make_error(ErrorCode::kInvalidArgument, path_ + std::string(field) + ": expected " + std::string(expected));
  }
  const json& j_;
  std::string path_;
};

#define PARLEY_TRY(expr)                                          \
  do {                                                            \
    if (auto s_ = (expr); !s_) return tl::unexpected(s_.error()); \
  } while (0)

ParticipantKind kind_from_name(std::string_view n) {
  if (n == "STANDARD") return ParticipantKind::kStandard;
  if (n == "INGRESS") return ParticipantKind::kIngress;
  if (n == "EGRESS") return ParticipantKind::kEgress;
  if (n == "SIP") return ParticipantKind::kSip;
  if (n == "AGENT") return ParticipantKind::kAgent;
  return ParticipantKind::kUnknown;
}
ParticipantKind kind_from_number(long long n) {
  switch (n) {
    case 0: return ParticipantKind::kStandard;
    case 1: return ParticipantKind::kIngress;
    case 2: return ParticipantKind::kEgress;
    case 3: return ParticipantKind::kSip;
    case 4: return ParticipantKind::kAgent;
    default: return ParticipantKind::kUnknown;
  }
}
ParticipantState state_from_name(std::string_view n) {
  if (n == "JOINING") return ParticipantState::kJoining;
  if (n == "JOINED") return ParticipantState::kJoined;
  if (n == "ACTIVE") return ParticipantState::kActive;
  if (n == "DISCONNECTED") return ParticipantState::kDisconnected;
  return ParticipantState::kUnknown;
}
ParticipantState state_from_number(long long n) {
  switch (n) {
    case 0: return ParticipantState::kJoining;
    case 1: return ParticipantState::kJoined;
    case 2: return ParticipantState::kActive;
    case 3: return ParticipantState::kDisconnected;
    default: return ParticipantState::kUnknown;
  }
}
TrackType track_type_from_name(std::string_view n) {
  if (n == "AUDIO") return TrackType::kAudio;
  if (n == "VIDEO") return TrackType::kVideo;
  if (n == "DATA") return TrackType::kData;
  return TrackType::kUnknown;
}
TrackType track_type_from_number(long long n) {
  switch (n) {
    case 0: return TrackType::kAudio;
    case 1: return TrackType::kVideo;
    case 2: return TrackType::kData;
    default: return TrackType::kUnknown;
  }
}

Result<RoomInfo> read_room(const json& j) {
  Reader r(j, "room.");
  RoomInfo room;
  PARLEY_TRY(r.string("sid", room.sid));
  PARLEY_TRY(r.string("name", room.name));
  PARLEY_TRY(r.string("metadata", room.metadata));
  PARLEY_TRY(r.integer("creationTime", room.creation_time, "creation_time"));
  PARLEY_TRY(r.integer("numParticipants", room.num_participants, "num_participants"));
  return room;
}

Result<ParticipantInfo> read_participant(const json& j) {
  Reader r(j, "participant.");
  ParticipantInfo p;
  PARLEY_TRY(r.string("sid", p.sid));
  PARLEY_TRY(r.string("identity", p.identity));
  PARLEY_TRY(r.string("name", p.name));
  PARLEY_TRY(r.string("metadata", p.metadata));
  PARLEY_TRY(r.enumeration("kind", p.kind, kind_from_name, kind_from_number));
  PARLEY_TRY(r.enumeration("state", p.state, state_from_name, state_from_number));
  PARLEY_TRY(r.integer("joinedAt", p.joined_at, "joined_at"));
  PARLEY_TRY(r.string_map("attributes", p.attributes));
  return p;
}

Result<TrackInfo> read_track(const json& j) {
  Reader r(j, "track.");
  TrackInfo t;
  PARLEY_TRY(r.string("sid", t.sid));
  PARLEY_TRY(r.string("name", t.name));
  PARLEY_TRY(r.enumeration("type", t.type, track_type_from_name, track_type_from_number));
  if (const json* s = r.find("source"); s && s->is_string()) {
    t.source = s->get<std::string>();
  } else if (s && s->is_number_integer()) {
    t.source = std::to_string(s->get<long long>());
  } else if (s) {
    return make_error(ErrorCode::kInvalidArgument, "track.source: expected an enum name or number");
  }
  PARLEY_TRY(r.boolean("muted", t.muted));
  PARLEY_TRY(r.string("mimeType", t.mime_type, "mime_type"));
  return t;
}

}  // namespace

std::string_view to_string(ParticipantKind k) {
  switch (k) {
    case ParticipantKind::kStandard: return "STANDARD";
    case ParticipantKind::kIngress: return "INGRESS";
    case ParticipantKind::kEgress: return "EGRESS";
    case ParticipantKind::kSip: return "SIP";
    case ParticipantKind::kAgent: return "AGENT";
    case ParticipantKind::kUnknown: break;
  }
  return "UNKNOWN";
}

std::string_view to_string(ParticipantState s) {
  switch (s) {
    case ParticipantState::kJoining: return "JOINING";
    case ParticipantState::kJoined: return "JOINED";
    case ParticipantState::kActive: return "ACTIVE";
    case ParticipantState::kDisconnected: return "DISCONNECTED";
    case ParticipantState::kUnknown: break;
  }
  return "UNKNOWN";
}

std::string_view to_string(TrackType t) {
  switch (t) {
    case TrackType::kAudio: return "AUDIO";
    case TrackType::kVideo: return "VIDEO";
    case TrackType::kData: return "DATA";
    case TrackType::kUnknown: break;
  }
  return "UNKNOWN";
}

WebhookEventType webhook_event_type(std::string_view name) {
  if (name == "room_started") return WebhookEventType::kRoomStarted;
  if (name == "room_finished") return WebhookEventType::kRoomFinished;
  if (name == "participant_joined") return WebhookEventType::kParticipantJoined;
  if (name == "participant_left") return WebhookEventType::kParticipantLeft;
  if (name == "participant_connection_aborted") return WebhookEventType::kParticipantConnectionAborted;
  if (name == "track_published") return WebhookEventType::kTrackPublished;
  if (name == "track_unpublished") return WebhookEventType::kTrackUnpublished;
  return WebhookEventType::kOther;
}

const std::string& WebhookEvent::room_name() const {
  static const std::string kEmpty;
  return room ? room->name : kEmpty;
}

Result<WebhookEvent> parse_webhook_event(std::string_view body) {
  // Deep nesting is bounded by the body size limit; nlohmann's parser recurses, so refuse absurd
  // depth before parsing (a 1 MB body of '[' would otherwise recurse a million frames).
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > 64) return make_error(ErrorCode::kInvalidArgument, "JSON nested deeper than 64 levels");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(ErrorCode::kInvalidArgument, "body is not valid JSON");
  if (!j.is_object()) return make_error(ErrorCode::kInvalidArgument, "body is not a JSON object (a WebhookEvent)");

  Reader r(j, "");
  WebhookEvent ev;
  PARLEY_TRY(r.string("event", ev.event));
  if (ev.event.empty()) return make_error(ErrorCode::kInvalidArgument, "event: missing (not a WebhookEvent)");
  ev.type = webhook_event_type(ev.event);
  PARLEY_TRY(r.string("id", ev.id));
  PARLEY_TRY(r.integer("createdAt", ev.created_at, "created_at"));

  auto room = r.message("room");
  if (!room) return tl::unexpected(room.error());
  if (*room) {
    auto v = read_room(**room);
    if (!v) return tl::unexpected(v.error());
    ev.room = std::move(*v);
  }
  auto participant = r.message("participant");
  if (!participant) return tl::unexpected(participant.error());
  if (*participant) {
    auto v = read_participant(**participant);
    if (!v) return tl::unexpected(v.error());
    ev.participant = std::move(*v);
  }
  auto track = r.message("track");
  if (!track) return tl::unexpected(track.error());
  if (*track) {
    auto v = read_track(**track);
    if (!v) return tl::unexpected(v.error());
    ev.track = std::move(*v);
  }

  // What each event parley acts on must carry; LiveKit always sends these (§6).
  auto need = [&](bool ok, std::string_view what) -> Status {
    if (ok) return {};
    return make_error(ErrorCode::kInvalidArgument, ev.event + " without " + std::string(what));
  };
  if (ev.type != WebhookEventType::kOther) {
    PARLEY_TRY(need(!ev.id.empty(), "id"));
    PARLEY_TRY(need(ev.room && !ev.room->name.empty(), "room.name"));
  }
  switch (ev.type) {
    case WebhookEventType::kParticipantJoined:
    case WebhookEventType::kParticipantLeft:
    case WebhookEventType::kParticipantConnectionAborted:
      PARLEY_TRY(need(ev.participant && !ev.participant->identity.empty(), "participant.identity"));
      break;
    case WebhookEventType::kTrackPublished:
    case WebhookEventType::kTrackUnpublished:
      PARLEY_TRY(need(ev.participant && !ev.participant->identity.empty(), "participant.identity"));
      PARLEY_TRY(need(ev.track.has_value(), "track"));
      break;
    default:
      break;
  }
  return ev;
}

Result<RoomInfo> parse_room_info(const nlohmann::json& room) {
  if (!room.is_object()) return make_error(ErrorCode::kInvalidArgument, "room: expected an object");
  return read_room(room);
}

Result<ParticipantInfo> parse_participant_info(const nlohmann::json& participant) {
  if (!participant.is_object()) return make_error(ErrorCode::kInvalidArgument, "participant: expected an object");
  return read_participant(participant);
}

}  // namespace parley::livekit::webhook
