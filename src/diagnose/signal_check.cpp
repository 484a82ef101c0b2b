// Placeholder: the signal/ICE check (join over the signal WebSocket, connect ICE to the
// server's candidates) arrives with the signal client; it replaces this file.
#include "diagnose/checks.h"

namespace parley::diagnose {
namespace {

class SignalCheck final : public Check {
 public:
  std::string name() const override { return "signal_ice"; }
  std::string title() const override { return "signal connection and ICE"; }
  std::vector<std::string> depends_on() const override { return {"join_token"}; }
  CheckResult run(Context&) override {
    return CheckResult::skip("not implemented yet: comes with the signal client and WebRTC transport");
  }
};

}  // namespace

std::unique_ptr<Check> make_signal_check() { return std::make_unique<SignalCheck>(); }

}  // namespace parley::diagnose
