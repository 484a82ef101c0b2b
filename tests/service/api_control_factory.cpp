// ApiCallControl behind the CallControl interface, in a file of its own: the server API's
// livekit::Room (api_types.h) and the room client's livekit::Room (room.h) share a name, so no
// translation unit includes both.
#include "agent/api_call_control.h"
#include "service/api_control_factory.h"

namespace parley::service::testing {

Result<std::unique_ptr<agent::CallControl>> make_api_call_control(const Config& config) {
  auto control = agent::ApiCallControl::create(livekit::ApiOptions::from_config(config.livekit));
  if (!control) return tl::unexpected(control.error());
  return std::unique_ptr<agent::CallControl>(std::move(*control));
}

}  // namespace parley::service::testing
