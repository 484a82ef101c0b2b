// ApiCallControl for tests that also include livekit/room/room.h (see api_control_factory.cpp).
#pragma once

#include <memory>

#include "agent/call_room.h"
#include "core/config.h"
#include "core/error.h"

namespace parley::service::testing {

Result<std::unique_ptr<agent::CallControl>> make_api_call_control(const Config& config);

}  // namespace parley::service::testing
