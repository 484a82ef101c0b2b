#include "livekit/api/agent_dispatch_client.h"

namespace parley::livekit {
namespace {
using json = nlohmann::json;
constexpr std::string_view kService = "AgentDispatchService";
}  // namespace

Result<AgentDispatch> AgentDispatchClient::create_dispatch(const std::string& room, const std::string& agent_name,
                                                           const std::string& metadata) {
  if (room.empty()) return make_error(ErrorCode::kInvalidArgument, "room name must not be empty");
  json req = {{"room", room}, {"agent_name", agent_name}};
  if (!metadata.empty()) req["metadata"] = metadata;
  auto res = twirp_.call(kService, "CreateDispatch", req, grant_room_admin(room));
  if (!res) return tl::unexpected(res.error());
  return agent_dispatch_from_json(*res);
}

Result<std::vector<AgentDispatch>> AgentDispatchClient::list_dispatch(const std::string& room,
                                                                      const std::string& dispatch_id) {
  if (room.empty()) return make_error(ErrorCode::kInvalidArgument, "room name must not be empty");
  json req = {{"room", room}};
  if (!dispatch_id.empty()) req["dispatch_id"] = dispatch_id;
  auto res = twirp_.call(kService, "ListDispatch", req, grant_room_admin(room));
  if (!res) return tl::unexpected(res.error());
  std::vector<AgentDispatch> out;
  if (auto it = res->find("agent_dispatches"); it != res->end() && it->is_array()) {
    for (const auto& d : *it) out.push_back(agent_dispatch_from_json(d));
  }
  return out;
}

Result<AgentDispatch> AgentDispatchClient::delete_dispatch(const std::string& dispatch_id, const std::string& room) {
  if (room.empty() || dispatch_id.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "deleting a dispatch needs its id and room");
  }
  auto res =
      twirp_.call(kService, "DeleteDispatch", {{"dispatch_id", dispatch_id}, {"room", room}}, grant_room_admin(room));
  if (!res) return tl::unexpected(res.error());
  return agent_dispatch_from_json(*res);
}

}  // namespace parley::livekit
