#include "livekit/api/room_service_client.h"

#include "livekit/auth/encoding.h"

namespace parley::livekit {
namespace {

using json = nlohmann::json;
constexpr std::string_view kService = "RoomService";

Status need(const std::string& value, const char* what) {
  if (value.empty()) return make_error(ErrorCode::kInvalidArgument, std::string(what) + " must not be empty");
  return {};
}

}  // namespace

Result<Room> RoomServiceClient::create_room(const CreateRoomOptions& o) {
  if (auto s = need(o.name, "room name"); !s) return tl::unexpected(s.error());
  json req = {{"name", o.name}};
  if (o.empty_timeout) req["empty_timeout"] = o.empty_timeout;
  if (o.departure_timeout) req["departure_timeout"] = o.departure_timeout;
  if (o.max_participants) req["max_participants"] = o.max_participants;
  if (!o.metadata.empty()) req["metadata"] = o.metadata;
  if (!o.agents.empty()) {
    req["agents"] = json::array();
    for (const auto& a : o.agents) req["agents"].push_back({{"agent_name", a}});
  }
  auto res = twirp_.call(kService, "CreateRoom", req, grant_room_create());
  if (!res) return tl::unexpected(res.error());
  return room_from_json(*res);
}

Result<std::vector<Room>> RoomServiceClient::list_rooms(const std::vector<std::string>& names) {
  json req = json::object();
  if (!names.empty()) req["names"] = names;
  auto res = twirp_.call(kService, "ListRooms", req, grant_room_list());
  if (!res) return tl::unexpected(res.error());
  std::vector<Room> out;
  if (auto it = res->find("rooms"); it != res->end() && it->is_array()) {
    for (const auto& r : *it) out.push_back(room_from_json(r));
  }
  return out;
}

Status RoomServiceClient::delete_room(const std::string& room) {
  if (auto s = need(room, "room name"); !s) return s;
  // DeleteRoom needs roomCreate, not roomAdmin (livekit-protocol.md §5).
  auto res = twirp_.call(kService, "DeleteRoom", {{"room", room}}, grant_room_create());
  if (!res) return tl::unexpected(res.error());
  return {};
}

Result<std::vector<ParticipantInfo>> RoomServiceClient::list_participants(const std::string& room) {
  if (auto s = need(room, "room name"); !s) return tl::unexpected(s.error());
  auto res = twirp_.call(kService, "ListParticipants", {{"room", room}}, grant_room_admin(room));
  if (!res) return tl::unexpected(res.error());
  std::vector<ParticipantInfo> out;
  if (auto it = res->find("participants"); it != res->end() && it->is_array()) {
    for (const auto& p : *it) out.push_back(participant_from_json(p));
  }
  return out;
}

Result<ParticipantInfo> RoomServiceClient::get_participant(const std::string& room, const std::string& identity) {
  if (auto s = need(room, "room name"); !s) return tl::unexpected(s.error());
  if (auto s = need(identity, "identity"); !s) return tl::unexpected(s.error());
  auto res = twirp_.call(kService, "GetParticipant", {{"room", room}, {"identity", identity}}, grant_room_admin(room));
  if (!res) return tl::unexpected(res.error());
  return participant_from_json(*res);
}

Status RoomServiceClient::remove_participant(const std::string& room, const std::string& identity) {
  if (auto s = need(room, "room name"); !s) return s;
  if (auto s = need(identity, "identity"); !s) return s;
  auto res =
      twirp_.call(kService, "RemoveParticipant", {{"room", room}, {"identity", identity}}, grant_room_admin(room));
  if (!res) return tl::unexpected(res.error());
  return {};
}

Result<json> RoomServiceClient::mute_published_track(const std::string& room, const std::string& identity,
                                                     const std::string& track_sid, bool muted) {
  json req = {{"room", room}, {"identity", identity}, {"track_sid", track_sid}, {"muted", muted}};
  auto res = twirp_.call(kService, "MutePublishedTrack", req, grant_room_admin(room));
  if (!res) return tl::unexpected(res.error());
  return res->value("track", json::object());
}

Result<ParticipantInfo> RoomServiceClient::update_participant(const std::string& room, const std::string& identity,
                                                              const UpdateParticipantOptions& o) {
  json req = {{"room", room}, {"identity", identity}};
  if (o.metadata) req["metadata"] = *o.metadata;
  if (o.name) req["name"] = *o.name;
  if (!o.attributes.empty()) req["attributes"] = o.attributes;
  if (!o.permission.is_null()) req["permission"] = o.permission;
  auto res = twirp_.call(kService, "UpdateParticipant", req, grant_room_admin(room));
  if (!res) return tl::unexpected(res.error());
  return participant_from_json(*res);
}

Result<Room> RoomServiceClient::update_room_metadata(const std::string& room, const std::string& metadata) {
  auto res =
      twirp_.call(kService, "UpdateRoomMetadata", {{"room", room}, {"metadata", metadata}}, grant_room_admin(room));
  if (!res) return tl::unexpected(res.error());
  return room_from_json(*res);
}

Status RoomServiceClient::send_data(const SendDataOptions& o) {
  if (auto s = need(o.room, "room name"); !s) return s;
  // protojson writes bytes as standard base64.
  json req = {{"room", o.room}, {"data", base64_encode(o.data)}, {"kind", o.reliable ? "RELIABLE" : "LOSSY"}};
  if (!o.topic.empty()) req["topic"] = o.topic;
  if (!o.destination_identities.empty()) req["destination_identities"] = o.destination_identities;
  auto res = twirp_.call(kService, "SendData", req, grant_room_admin(o.room));
  if (!res) return tl::unexpected(res.error());
  return {};
}

}  // namespace parley::livekit
