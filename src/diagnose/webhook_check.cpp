// Placeholder: the webhook check (livekit-server reaches parley's webhook URL and the
// signature verifies) arrives with `parley serve`; it replaces this file.
#include "diagnose/checks.h"

namespace parley::diagnose {
namespace {

class WebhookCheck final : public Check {
 public:
  std::string name() const override { return "webhook"; }
  std::string title() const override { return "webhooks reach parley"; }
  std::vector<std::string> depends_on() const override { return {"api_secret"}; }
  CheckResult run(Context&) override {
    return CheckResult::skip("not implemented yet: comes with `parley serve` (webhook receiver)");
  }
};

}  // namespace

std::unique_ptr<Check> make_webhook_check() { return std::make_unique<WebhookCheck>(); }

}  // namespace parley::diagnose
