#include "service/call_session.h"

namespace parley::service {

std::string_view to_string(StopReason r) {
  switch (r) {
    case StopReason::kCallerLeft: return "caller_left";
    case StopReason::kRoomFinished: return "room_finished";
    case StopReason::kInactive: return "inactive";
    case StopReason::kDrainTimeout: return "drain_timeout";
    case StopReason::kShutdown: return "shutdown";
    case StopReason::kEnded: return "ended";
  }
  return "unknown";
}

void LoggingCallSession::start() {
  const auto& r = ctx_.record;
  // The numbers are the call logger's own fields (masked there under calls.mask_numbers).
  ctx_.logger.info("call session started (logging only: no voice agent yet)",
                   {{"caller", r.caller_identity},
                    {"phone_call", r.phone_call},
                    {"config_hash", ctx_.config ? ctx_.config->hash() : ""}});
}

void LoggingCallSession::stop(StopReason reason) {
  ctx_.logger.info("call session stopped", {{"reason", std::string(to_string(reason))}});
}

void LoggingCallSession::on_event(const livekit::webhook::WebhookEvent& event) {
  ctx_.logger.debug("call session event", {{"event", event.event}});
}

void LoggingCallSession::on_agent_joined(const std::string& participant_sid) {
  ctx_.logger.info("agent participant joined", {{"agent_participant_id", participant_sid}});
}

}  // namespace parley::service
