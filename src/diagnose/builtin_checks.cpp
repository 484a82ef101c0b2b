// The checks `parley diagnose` runs, in order. Add a check: one file with a make_*_check()
// factory (declared in checks.h), one line here.
#include "diagnose/checks.h"

namespace parley::diagnose {

std::vector<std::unique_ptr<Check>> builtin_checks() {
  std::vector<std::unique_ptr<Check>> c;
  c.push_back(make_config_check());
  c.push_back(make_reachable_check());
  c.push_back(make_http_check());
  c.push_back(make_clock_check());
  c.push_back(make_api_key_check());
  c.push_back(make_api_secret_check());
  c.push_back(make_join_token_check());
  c.push_back(make_rooms_check());
  c.push_back(make_agent_worker_check());
  c.push_back(make_sip_service_check());
  c.push_back(make_sip_trunk_check());
  c.push_back(make_sip_dispatch_check());
  c.push_back(make_sip_agent_check());
  c.push_back(make_sip_bridge_check());
  c.push_back(make_webhook_check());
  c.push_back(make_signal_check());
  c.push_back(make_sip_call_check());
  return c;
}

}  // namespace parley::diagnose
