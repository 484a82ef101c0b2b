#include "core/sip_config.h"

#include <algorithm>

#include "core/ip_range.h"
#include "core/phone_number.h"

namespace parley {

void validate_sip(SipConfig& sip, std::vector<ConfigIssue>& issues) {
  auto& t = sip.inbound_trunk;
  const std::string trunk = "sip.inbound_trunk.";
  if (t.name.empty()) {
    issues.push_back({trunk + "name", "is empty, so parley cannot find its trunk by name",
                      "give the trunk a name such as parley-inbound"});
  }
  std::vector<std::string> normalized;
  for (const auto& n : t.numbers) {
    auto e164 = normalize_e164(n);
    if (!e164) {
      issues.push_back({trunk + "numbers", e164.error().message,
                        "write the number with its country code, such as +74951234567 or 8 495 123-45-67"});
      continue;
    }
    if (std::find(normalized.begin(), normalized.end(), *e164) != normalized.end()) {
      issues.push_back({trunk + "numbers", "'" + n + "' is listed twice (as " + *e164 + ")", "list each number once"});
      continue;
    }
    normalized.push_back(*e164);
  }
  t.numbers = std::move(normalized);
  for (const auto& a : t.allowed_addresses) {
    if (auto r = parse_ip_range(a); !r) {
      issues.push_back({trunk + "allowed_addresses", r.error().message,
                        "list the provider's signalling addresses as IPs or CIDR ranges, e.g. [203.0.113.10, 198.51.100.0/24]"});
    }
  }
  if (!t.auth_username.empty() && t.auth_password.empty()) {
    issues.push_back({trunk + "auth_password", "is not set, but auth_username is: digest auth needs both",
                      "export PARLEY_SIP_AUTH_PASSWORD (or write auth_password: ${VARIABLE}), or remove auth_username"});
  } else if (t.auth_username.empty() && !t.auth_password.empty()) {
    // Only a warning: PARLEY_SIP_AUTH_PASSWORD may be exported for `parley sip trunk create
    // --auth-password`, and must not stop every other command. `parley sip setup` ignores it;
    // it stays registered as a secret for log redaction.
    issues.push_back({trunk + "auth_username",
                      "is not set, so the auth password (PARLEY_SIP_AUTH_PASSWORD or auth_password) is not used",
                      "set auth_username to the user name the provider sends, or unset the password", true});
  }
  if (sip.dispatch_rule.name.empty()) {
    issues.push_back({"sip.dispatch_rule.name", "is empty, so parley cannot find its dispatch rule by name",
                      "give the rule a name such as parley-calls"});
  }
  const auto& prefix = sip.dispatch_rule.room_prefix;
  if (std::any_of(prefix.begin(), prefix.end(), [](unsigned char c) { return c <= ' ' || c == '/' || c == '*'; })) {
    issues.push_back({"sip.dispatch_rule.room_prefix", "'" + prefix + "' contains a space, '/', '*' or a control character",
                      "use letters, digits, '-' and '_' such as call-"});
  }
}

}  // namespace parley
