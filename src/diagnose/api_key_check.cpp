// One server-API call (ListRooms) signed with the configured key and secret. livekit-server
// refuses an unknown key before it checks the signature, so this call tells "unknown key" from
// "wrong secret"; the api_secret check reports the second from what this one saw.
#include "diagnose/checks.h"
#include "livekit/api/room_service_client.h"

namespace parley::diagnose {
namespace {

bool has(const std::string& s, std::string_view n) { return s.find(n) != std::string::npos; }

class ApiKeyCheck final : public Check {
 public:
  std::string name() const override { return "api_key"; }
  std::string title() const override { return "API key known to the server"; }
  std::vector<std::string> depends_on() const override { return {"clock"}; }
  CheckResult run(Context& ctx) override {
    const std::string key = ctx.config().livekit.api_key;
    auto* api = ctx.api();
    if (!api) return CheckResult::fail("cannot build a server-API client from the configuration", "run `parley config check`");
    auto rooms = livekit::RoomServiceClient(*api).list_rooms();
    if (rooms) {
      ctx.facts["auth"] = "ok";
      ctx.facts["rooms"] = std::to_string(rooms->size());
      return CheckResult::pass("the server knows key " + key);
    }
    const std::string& m = rooms.error().message;
    ctx.facts["auth_error"] = m;
    if (has(m, "unknown API key")) {
      ctx.facts["auth"] = "unknown_key";
      return CheckResult::fail("the server does not know API key " + key,
                               "use a key from livekit-server's `keys:` configuration (LIVEKIT_API_KEY), or add " +
                                   key + " with its secret there and restart the server");
    }
    if (has(m, "does not match the server's")) {
      ctx.facts["auth"] = "bad_secret";
      return CheckResult::pass("the server knows key " + key + " (its signature check failed: see the next check)");
    }
    if (has(m, "rejected the token")) {
      ctx.facts["auth"] = "time";
      return CheckResult::pass("the server knows key " + key + " (it refused the token's times: see the next check)");
    }
    ctx.facts["auth"] = "other";
    return CheckResult::fail(m, "see the error above; `parley room list --log-level debug` shows the exchange");
  }
};

class ApiSecretCheck final : public Check {
 public:
  std::string name() const override { return "api_secret"; }
  std::string title() const override { return "API secret matches the server's"; }
  std::vector<std::string> depends_on() const override { return {"api_key"}; }
  CheckResult run(Context& ctx) override {
    const std::string key = ctx.config().livekit.api_key;
    const std::string auth = ctx.facts["auth"];
    if (auth == "ok") return CheckResult::pass("the server accepted a token signed with the secret for " + key);
    if (auth == "bad_secret") {
      return CheckResult::fail("the server refused the signature: the secret for " + key +
                                   " is not the one livekit-server has",
                               "set LIVEKIT_API_SECRET to the secret paired with " + key +
                                   " in livekit-server's `keys:` configuration");
    }
    if (auth == "time") {
      return CheckResult::fail(ctx.facts["auth_error"], "synchronise this host's and the server's clocks with NTP");
    }
    return CheckResult::fail(ctx.facts["auth_error"], "see the error above");
  }
};

}  // namespace

std::unique_ptr<Check> make_api_key_check() { return std::make_unique<ApiKeyCheck>(); }
std::unique_ptr<Check> make_api_secret_check() { return std::make_unique<ApiSecretCheck>(); }

}  // namespace parley::diagnose
