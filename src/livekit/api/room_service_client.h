// livekit.RoomService: rooms and their participants.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "livekit/api/api_types.h"
#include "livekit/api/twirp_client.h"

namespace parley::livekit {

struct CreateRoomOptions {
  std::string name;
  uint32_t empty_timeout = 0;      // seconds; 0 = server default
  uint32_t departure_timeout = 0;  // seconds; 0 = server default
  uint32_t max_participants = 0;
  std::string metadata;
  std::vector<std::string> agents;  // agent names to dispatch (RoomConfiguration.agents)
};

struct UpdateParticipantOptions {
  std::optional<std::string> metadata, name;
  std::map<std::string, std::string> attributes;
  nlohmann::json permission;  // ParticipantPermission as JSON; null = unchanged
};

struct SendDataOptions {
  std::string room;
  std::string data;  // raw bytes
  bool reliable = true;
  std::string topic;
  std::vector<std::string> destination_identities;
};

class RoomServiceClient {
 public:
  explicit RoomServiceClient(TwirpClient& twirp) : twirp_(twirp) {}

  Result<Room> create_room(const CreateRoomOptions& options);
  Result<std::vector<Room>> list_rooms(const std::vector<std::string>& names = {});
  Status delete_room(const std::string& room);
  Result<std::vector<ParticipantInfo>> list_participants(const std::string& room);
  Result<ParticipantInfo> get_participant(const std::string& room, const std::string& identity);
  Status remove_participant(const std::string& room, const std::string& identity);
  Result<nlohmann::json> mute_published_track(const std::string& room, const std::string& identity,
                                              const std::string& track_sid, bool muted);
  Result<ParticipantInfo> update_participant(const std::string& room, const std::string& identity,
                                             const UpdateParticipantOptions& options);
  Result<Room> update_room_metadata(const std::string& room, const std::string& metadata);
  Status send_data(const SendDataOptions& options);

 private:
  TwirpClient& twirp_;
};

}  // namespace parley::livekit
