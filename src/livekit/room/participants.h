// Who is in the room as the server last said (JoinResponse, ParticipantUpdate): our own
// participant, the room's name and the remote participants. Updated on the room's media loop,
// read from any thread (copies under a mutex).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "livekit/proto/livekit_models.pb.h"
#include "livekit/room/room.h"

namespace parley::livekit {

Participant to_participant(const ::livekit::ParticipantInfo& p);

class Participants {
 public:
  // What one remote participant's info did to the list.
  struct Update {
    Participant info;
    bool left = false;   // it is gone (DISCONNECTED)
    bool known = false;  // it was in the list before
  };

  void joined(const ::livekit::ParticipantInfo& local, std::string room_name);
  // A remote participant's info (never ours: see is_local).
  Update update(const ::livekit::ParticipantInfo& p);
  bool is_local(const std::string& sid) const;

  Participant local() const;
  std::string room_name() const;
  std::vector<Participant> remotes() const;
  // The identity of a remote participant by sid, if known.
  std::optional<std::string> identity_of(const std::string& sid) const;

 private:
  mutable std::mutex mutex_;
  Participant local_;
  std::string room_name_;
  std::map<std::string, Participant> remotes_;  // by sid
};

}  // namespace parley::livekit
