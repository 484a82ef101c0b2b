// The server's clock (its Date header) against the clock parley mints tokens with: tokens are
// valid from nbf = now, so a server more than the 60 s leeway behind refuses them as "not valid
// yet", and one far ahead as expired.
#include <cstdlib>

#include "diagnose/checks.h"

namespace parley::diagnose {
namespace {

constexpr long kLeewaySeconds = 60;
constexpr long kWarnSeconds = 10;

class ClockCheck final : public Check {
 public:
  std::string name() const override { return "clock"; }
  std::string title() const override { return "clock skew to the server"; }
  std::vector<std::string> depends_on() const override { return {"http"}; }
  CheckResult run(Context& ctx) override {
    auto it = ctx.facts.find("server_date");
    if (it == ctx.facts.end()) {
      return CheckResult::warn("the server sent no Date header, so the clocks cannot be compared",
                               "make sure this host and the server both use NTP");
    }
    long long server = std::atoll(it->second.c_str());
    long long local = std::chrono::duration_cast<std::chrono::seconds>(ctx.token_clock().wall().time_since_epoch()).count();
    long long offset = server - local;  // > 0: the server is ahead
    ctx.facts["clock_offset_s"] = std::to_string(offset);
    std::string detail = offset == 0 ? "the clocks agree (to the second)"
                                     : "the server's clock is " + std::to_string(std::llabs(offset)) + " s " +
                                           (offset > 0 ? "ahead of" : "behind") + " this host's";
    if (std::llabs(offset) > kLeewaySeconds) {
      return CheckResult::fail(detail + ", more than the " + std::to_string(kLeewaySeconds) +
                                   " s token leeway: the server rejects parley's tokens as " +
                                   (offset < 0 ? "not yet valid" : "expired"),
                               "synchronise both clocks with NTP (e.g. `timedatectl set-ntp true`, or chrony)");
    }
    if (std::llabs(offset) > kWarnSeconds) {
      return CheckResult::warn(detail + ", within the " + std::to_string(kLeewaySeconds) + " s token leeway",
                               "synchronise both clocks with NTP before the drift grows");
    }
    return CheckResult::pass(detail);
  }
};

}  // namespace

std::unique_ptr<Check> make_clock_check() { return std::make_unique<ClockCheck>(); }

}  // namespace parley::diagnose
