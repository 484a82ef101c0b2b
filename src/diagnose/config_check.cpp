// The LiveKit part of the configuration: URL scheme and host, key and secret present, and a
// secret long enough (LiveKit's generate-keys makes 43+ characters; short ones are guessable).
#include "diagnose/checks.h"

namespace parley::diagnose {
namespace {

class ConfigCheck final : public Check {
 public:
  std::string name() const override { return "config"; }
  std::string title() const override { return "configuration"; }
  CheckResult run(Context& ctx) override {
    const auto& lk = ctx.config().livekit;
    if (lk.url.empty()) {
      return CheckResult::fail("livekit.url is not set", "export LIVEKIT_URL=ws://127.0.0.1:7880 (or wss://<project>.livekit.cloud)");
    }
    auto url = parse_url(lk.url);
    if (!url) return CheckResult::fail("livekit.url: " + url.error().message, "write it as ws://host:7880 or wss://host");
    if (url->scheme != "ws" && url->scheme != "wss" && url->scheme != "http" && url->scheme != "https") {
      return CheckResult::fail("livekit.url scheme '" + url->scheme + "' is not ws, wss, http or https",
                               "write it as ws://host:7880 or wss://host");
    }
    if (lk.api_key.empty()) return CheckResult::fail("livekit.api_key is not set", "export LIVEKIT_API_KEY");
    if (lk.api_secret.empty()) return CheckResult::fail("livekit.api_secret is not set", "export LIVEKIT_API_SECRET");
    if (!ctx.config_errors().empty()) {
      std::string all;
      for (const auto& e : ctx.config_errors()) all += (all.empty() ? "" : "; ") + e;
      return CheckResult::fail(all, "fix the keys named above (`parley config check` shows everything)");
    }
    std::string detail = url->to_string() + ", key " + lk.api_key;
    if (url->plaintext_remote()) {
      return CheckResult::warn(detail + "; " + url->scheme + ":// to a remote host sends tokens and API calls unencrypted",
                               "use " + std::string(url->websocket() ? "wss://" : "https://") + url->host +
                                   " (TLS in front of livekit-server, e.g. nginx or Caddy)");
    }
    if (lk.api_secret.size() < 32) {
      return CheckResult::warn(detail + "; the API secret is only " + std::to_string(lk.api_secret.size()) +
                                   " characters (fewer than 32 can be guessed)",
                               "generate a strong pair with `livekit-server generate-keys` and configure it on "
                               "both the server and parley");
    }
    return CheckResult::pass(detail);
  }
};

}  // namespace

std::unique_ptr<Check> make_config_check() { return std::make_unique<ConfigCheck>(); }

}  // namespace parley::diagnose
