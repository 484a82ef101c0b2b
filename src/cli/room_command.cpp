// parley room create|list|delete: rooms on the LiveKit server (RoomService).
//   parley room create --room R [...]   parley room list [--room R...]   parley room delete --room R
#include <iostream>

#include "cli/api_session.h"
#include "livekit/api/room_service_client.h"

namespace parley::cli {
namespace {

nlohmann::ordered_json room_json(const livekit::Room& r) {
  return {{"sid", r.sid},
          {"name", r.name},
          {"num_participants", r.num_participants},
          {"empty_timeout", r.empty_timeout},
          {"departure_timeout", r.departure_timeout},
          {"max_participants", r.max_participants},
          {"creation_time", r.creation_time},
          {"metadata", r.metadata}};
}

struct RoomOptions {
  livekit::CreateRoomOptions create;
  std::string name;
  std::vector<std::string> names;
};

const CommandRegistrar registrar(30, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<RoomOptions>();
  auto* room = root.add_subcommand("room", "manage rooms on the LiveKit server");
  room->require_subcommand(1);

  auto* create = room->add_subcommand("create", "create a room");
  create->add_option("--room", o->create.name, "room name")->required();
  create->add_option("--empty-timeout", o->create.empty_timeout, "seconds an empty room stays open");
  create->add_option("--departure-timeout", o->create.departure_timeout, "seconds a room stays after the last leaves");
  create->add_option("--max-participants", o->create.max_participants, "participant limit");
  create->add_option("--metadata", o->create.metadata, "room metadata");
  create->add_option("--agent", o->create.agents, "agent name to dispatch into the room (repeatable)");
  create->callback([&ctx, o] {
    ApiSession api(ctx);
    livekit::RoomServiceClient rooms(api.twirp());
    auto r = must(rooms.create_room(o->create));
    if (ctx.opts.json) {
      std::cout << room_json(r).dump(2) << "\n";
    } else {
      std::cout << "room " << r.name << " (" << r.sid << ") created\n";
    }
  });

  auto* list = room->add_subcommand("list", "list rooms");
  list->add_option("--room", o->names, "only this room (repeatable)");
  list->callback([&ctx, o] {
    ApiSession api(ctx);
    livekit::RoomServiceClient rooms(api.twirp());
    auto all = must(rooms.list_rooms(o->names));
    if (ctx.opts.json) {
      auto out = nlohmann::ordered_json::array();
      for (const auto& r : all) out.push_back(room_json(r));
      std::cout << out.dump(2) << "\n";
      return;
    }
    if (all.empty()) {
      std::cout << "no rooms\n";
      return;
    }
    std::vector<std::vector<std::string>> rows{{"NAME", "SID", "PARTICIPANTS", "PUBLISHERS"}};
    for (const auto& r : all) {
      rows.push_back({r.name, r.sid, std::to_string(r.num_participants), std::to_string(r.num_publishers)});
    }
    print_table(rows);
  });

  auto* del = room->add_subcommand("delete", "delete a room (disconnects everyone in it)");
  del->add_option("--room", o->name, "room name")->required();
  del->callback([&ctx, o] {
    ApiSession api(ctx);
    livekit::RoomServiceClient rooms(api.twirp());
    must(rooms.delete_room(o->name));
    if (ctx.opts.json) {
      std::cout << nlohmann::json{{"deleted", o->name}}.dump() << "\n";
    } else {
      std::cout << "room " << o->name << " deleted\n";
    }
  });
});

}  // namespace
}  // namespace parley::cli
