// One call's agent as the console sees it: a CallObserver (agent/call_observer.h) that writes to
// the CallBoard. Made for each admitted call by make_board_observers(); when the call's session
// goes away without the agent having said the call ended (it never started), the call ends on
// the board then.
#pragma once

#include <memory>

#include "agent/call_observer.h"
#include "console/call_board.h"
#include "service/agent_call_session.h"

namespace parley::console {

// The factory AgentCallSessionFactory takes: each call begins on `board`, its caller shown as
// calls.mask_numbers asks.
service::CallObserverFactory make_board_observers(std::shared_ptr<CallBoard> board);

// How the console names a call's caller: a phone call's number (masked when `mask`), else the
// participant's identity (in which a number is masked too).
std::string caller_label(const service::CallRecord& record, bool mask);

}  // namespace parley::console
