// Factories of the built-in checks, one per file (see check.h and builtin_checks.cpp).
#pragma once

#include <memory>

#include "diagnose/check.h"

namespace parley::diagnose {

std::unique_ptr<Check> make_config_check();
std::unique_ptr<Check> make_reachable_check();
std::unique_ptr<Check> make_http_check();
std::unique_ptr<Check> make_clock_check();
std::unique_ptr<Check> make_api_key_check();
std::unique_ptr<Check> make_api_secret_check();
std::unique_ptr<Check> make_join_token_check();
std::unique_ptr<Check> make_rooms_check();
std::unique_ptr<Check> make_agent_worker_check();
std::unique_ptr<Check> make_sip_service_check();
std::unique_ptr<Check> make_sip_trunk_check();
std::unique_ptr<Check> make_sip_dispatch_check();
std::unique_ptr<Check> make_sip_agent_check();
std::unique_ptr<Check> make_sip_bridge_check();
std::unique_ptr<Check> make_sip_call_check();
std::unique_ptr<Check> make_webhook_check();
std::unique_ptr<Check> make_signal_check();

}  // namespace parley::diagnose
