// livekit.AgentDispatchService: ask the server to dispatch a named agent into a room.
#pragma once

#include <string>
#include <vector>

#include "livekit/api/api_types.h"
#include "livekit/api/twirp_client.h"

namespace parley::livekit {

class AgentDispatchClient {
 public:
  explicit AgentDispatchClient(TwirpClient& twirp) : twirp_(twirp) {}

  Result<AgentDispatch> create_dispatch(const std::string& room, const std::string& agent_name,
                                        const std::string& metadata = {});
  Result<std::vector<AgentDispatch>> list_dispatch(const std::string& room, const std::string& dispatch_id = {});
  Result<AgentDispatch> delete_dispatch(const std::string& dispatch_id, const std::string& room);

 private:
  TwirpClient& twirp_;
};

}  // namespace parley::livekit
