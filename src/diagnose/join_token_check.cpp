// A join token minted by parley is accepted at /rtc/validate: the same checks the signal
// WebSocket makes before upgrading (token, grant, identity, room), over plain HTTP.
#include <random>

#include "diagnose/checks.h"
#include "livekit/auth/access_token.h"

namespace parley::diagnose {
namespace {

class JoinTokenCheck final : public Check {
 public:
  std::string name() const override { return "join_token"; }
  std::string title() const override { return "join token accepted (/rtc/validate)"; }
  std::vector<std::string> depends_on() const override { return {"api_secret"}; }
  CheckResult run(Context& ctx) override {
    const auto& lk = ctx.config().livekit;
    livekit::TokenClaims claims;
    claims.identity = "parley-diagnose";
    claims.video = livekit::VideoGrant{};
    claims.video->room_join = true;
    claims.video->room = "parley-diagnose";
    auto token = livekit::mint_token(claims, lk.api_key, lk.api_secret, std::chrono::minutes(5), ctx.token_clock());
    if (!token) return CheckResult::fail(token.error().message, "check livekit.api_key and livekit.api_secret");
    auto res = ctx.http().request({"GET", "/rtc/validate?access_token=" + *token, {}, ""});
    if (!res) return CheckResult::fail(res.error().message, "see the error above");
    if (res->status == 200) return CheckResult::pass("the server would let parley join a room");
    std::string body = res->body.substr(0, 200);
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    return CheckResult::fail("/rtc/validate answered HTTP " + std::to_string(res->status) + ": " + body,
                             "a 401 means the key, secret or clock (see the checks above); a 404 that the room must "
                             "exist (set room.auto_create: true on the server or create rooms first)");
  }
};

}  // namespace

std::unique_ptr<Check> make_join_token_check() { return std::make_unique<JoinTokenCheck>(); }

}  // namespace parley::diagnose
