// parley participant list|remove: the participants of a room (RoomService).
//   parley participant list --room R      parley participant remove --room R --identity P
#include <iostream>

#include "cli/api_session.h"
#include "livekit/api/room_service_client.h"

namespace parley::cli {
namespace {

struct ParticipantOptions {
  std::string room, identity;
};

const CommandRegistrar registrar(31, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<ParticipantOptions>();
  auto* cmd = root.add_subcommand("participant", "list or remove the participants of a room");
  cmd->require_subcommand(1);

  auto* list = cmd->add_subcommand("list", "list a room's participants");
  list->add_option("--room", o->room, "room name")->required();
  list->callback([&ctx, o] {
    ApiSession api(ctx);
    livekit::RoomServiceClient rooms(api.twirp());
    auto all = must(rooms.list_participants(o->room));
    if (ctx.opts.json) {
      auto out = nlohmann::ordered_json::array();
      for (const auto& p : all) {
        out.push_back({{"sid", p.sid}, {"identity", p.identity}, {"name", p.name}, {"state", p.state},
                       {"kind", p.kind}, {"joined_at", p.joined_at}, {"attributes", p.attributes}});
      }
      std::cout << out.dump(2) << "\n";
      return;
    }
    if (all.empty()) {
      std::cout << "no participants in " << o->room << "\n";
      return;
    }
    std::vector<std::vector<std::string>> rows{{"IDENTITY", "SID", "KIND", "STATE", "NAME"}};
    for (const auto& p : all) rows.push_back({p.identity, p.sid, p.kind, p.state, p.name});
    print_table(rows);
  });

  auto* remove = cmd->add_subcommand("remove", "disconnect a participant from a room");
  remove->add_option("--room", o->room, "room name")->required();
  remove->add_option("--identity", o->identity, "participant to remove")->required();
  remove->callback([&ctx, o] {
    ApiSession api(ctx);
    livekit::RoomServiceClient rooms(api.twirp());
    must(rooms.remove_participant(o->room, o->identity));
    if (ctx.opts.json) {
      std::cout << nlohmann::json{{"removed", o->identity}, {"room", o->room}}.dump() << "\n";
    } else {
      std::cout << o->identity << " removed from " << o->room << "\n";
    }
  });
});

}  // namespace
}  // namespace parley::cli
