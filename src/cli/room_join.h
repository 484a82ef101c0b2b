// Shared by `parley say` and `parley listen`: a join token minted from the configuration and a
// connected Room on a small LoopPool of the command's own.
#pragma once

#include <memory>
#include <string>

#include "cli/command.h"
#include "core/loop_pool.h"
#include "livekit/room/room.h"

namespace parley::cli {

struct JoinedRoom {
  std::unique_ptr<LoopPool> loops;
  std::shared_ptr<livekit::Room> room;
  ~JoinedRoom();
};

// Mints a 10-minute join token for (room, identity) and connects; throws CliExit(kExitFailed)
// with the reason when joining fails.
std::unique_ptr<JoinedRoom> join_room(const Config& config, const std::string& room, const std::string& identity,
                                      livekit::RoomOptions options, livekit::RoomCallbacks callbacks);

}  // namespace parley::cli
