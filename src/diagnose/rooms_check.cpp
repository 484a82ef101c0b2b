// Creates, lists and deletes a throw-away room: the server-API grants parley needs work.
#include <random>

#include "diagnose/checks.h"
#include "livekit/api/room_service_client.h"

namespace parley::diagnose {
namespace {

class RoomsCheck final : public Check {
 public:
  std::string name() const override { return "rooms"; }
  std::string title() const override { return "rooms: create, list, delete"; }
  std::vector<std::string> depends_on() const override { return {"api_secret"}; }
  CheckResult run(Context& ctx) override {
    auto* api = ctx.api();
    if (!api) return CheckResult::fail("no server-API client", "run `parley config check`");
    livekit::RoomServiceClient rooms(*api);
    std::string name = "parley-diagnose-" + std::to_string(std::random_device{}() % 1000000);
    livekit::CreateRoomOptions create;
    create.name = name;
    create.empty_timeout = 10;
    auto created = rooms.create_room(create);
    if (!created) return CheckResult::fail("CreateRoom: " + created.error().message, "the key needs the roomCreate grant");
    auto listed = rooms.list_rooms({name});
    if (!listed) return CheckResult::fail("ListRooms: " + listed.error().message, "see the error above");
    bool found = std::any_of(listed->begin(), listed->end(), [&](const livekit::Room& r) { return r.name == name; });
    auto deleted = rooms.delete_room(name);
    if (!found) return CheckResult::fail("room " + name + " was created but ListRooms does not show it",
                                         "with several livekit-server nodes, all must share one Redis");
    if (!deleted) return CheckResult::fail("DeleteRoom: " + deleted.error().message, "see the error above");
    return CheckResult::pass("created, listed and deleted " + name + " (" + created->sid + ")");
  }
};

}  // namespace

std::unique_ptr<Check> make_rooms_check() { return std::make_unique<RoomsCheck>(); }

}  // namespace parley::diagnose
