#include "console/playground_token.h"

#include <openssl/rand.h>

#include "livekit/auth/access_token.h"

namespace parley::console {

namespace {

constexpr auto kTicketTtl = std::chrono::minutes(15);

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace

nlohmann::json PlaygroundTicket::to_json() const {
  return {{"url", url}, {"room", room}, {"identity", identity}, {"token", token}};
}

std::string browser_livekit_url(const Config& config) {
  if (!config.console.livekit_url.empty()) return config.console.livekit_url;
  std::string u = config.livekit.url;
  if (u.rfind("https://", 0) == 0) return "wss://" + u.substr(8);
  if (u.rfind("http://", 0) == 0) return "ws://" + u.substr(7);
  return u;
}

Result<PlaygroundTicket> mint_playground_ticket(const Config& config) {
  auto id = random_hex(8);
  if (id.empty()) return make_error(ErrorCode::kInternal, "no random bytes for the playground's room name");
  PlaygroundTicket t;
  t.url = browser_livekit_url(config);
  t.room = std::string(kPlaygroundRoomPrefix) + id;
  t.identity = "playground-" + random_hex(4);
  livekit::TokenClaims claims;
  claims.identity = t.identity;
  claims.name = "Playground";
  livekit::VideoGrant grant;
  grant.room_join = true;
  grant.room = t.room;
  grant.can_publish = true;
  grant.can_subscribe = true;
  grant.can_publish_data = true;  // keypad digits
  grant.can_publish_sources = {"microphone"};
  claims.video = grant;
  if (config.agent.dispatch == "worker" && !config.agent.agent_name.empty()) {
    claims.room_config = {{"agents", {{{"agentName", config.agent.agent_name}}}}};
  }
  auto token = livekit::mint_token(claims, config.livekit.api_key, config.livekit.api_secret,
                                   std::chrono::duration_cast<std::chrono::seconds>(kTicketTtl));
  if (!token) return tl::unexpected(token.error());
  t.token = std::move(*token);
  return t;
}

}  // namespace parley::console
