#include "cli/room_join.h"

#include "livekit/auth/access_token.h"

namespace parley::cli {

JoinedRoom::~JoinedRoom() {
  if (room) room->leave_sync();
  room.reset();
  if (loops) loops->stop();
}

std::unique_ptr<JoinedRoom> join_room(const Config& config, const std::string& room, const std::string& identity,
                                      livekit::RoomOptions options, livekit::RoomCallbacks callbacks) {
  livekit::TokenClaims claims;
  claims.identity = identity;
  claims.name = identity;
  livekit::VideoGrant grant;
  grant.room_join = true;
  grant.room = room;
  claims.video = grant;
  auto token = livekit::mint_token(claims, config.livekit.api_key, config.livekit.api_secret, std::chrono::minutes(10));
  if (!token) throw CliExit(kExitUsage, "cannot mint a join token: " + token.error().message);
  options.ca_file = config.livekit.ca_file;
  auto joined = std::make_unique<JoinedRoom>();
  joined->loops = std::make_unique<LoopPool>(1, 1);
  auto r = livekit::Room::connect_sync(*joined->loops, config.livekit.url, *token, std::move(options), std::move(callbacks));
  if (!r) throw CliExit(kExitFailed, "cannot join room '" + room + "': " + r.error().to_string());
  joined->room = std::move(*r);
  return joined;
}

}  // namespace parley::cli
