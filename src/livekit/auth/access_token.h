// LiveKit access tokens: HS256 JWTs whose issuer is the API key and whose key is the API
// secret (livekit-protocol.md §1). mint_token() writes the claims exactly as LiveKit's SDKs do
// (camelCase grants, optional booleans left out when unset, exp always set); verify_token()
// checks what livekit-server checks (HS256 signature, issuer among the known keys, exp/nbf/iat
// with a leeway) and says which of those failed.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/error.h"

namespace parley::livekit {

using namespace std::chrono_literals;

// The `video` grant. Plain bools are written only when true (LiveKit's omitempty); the
// optional ones only when set, because "absent" has its own meaning on the server (canPublish
// and canSubscribe default to true, canPublishData follows canPublish).
struct VideoGrant {
  bool room_create = false;
  bool room_list = false;
  bool room_record = false;
  bool room_admin = false;
  bool room_join = false;
  bool ingress_admin = false;
  bool hidden = false;
  bool recorder = false;
  bool agent = false;
  std::string room;              // the room this grant is for (join, roomAdmin)
  std::string destination_room;  // forwarding
  std::optional<bool> can_publish;
  std::optional<bool> can_subscribe;
  std::optional<bool> can_publish_data;
  std::optional<bool> can_update_own_metadata;
  std::optional<bool> can_subscribe_metrics;
  std::optional<bool> can_manage_agent_session;
  // Lowercase track sources: camera, microphone, screen_share, screen_share_audio. Empty: all.
  std::vector<std::string> can_publish_sources;

  bool operator==(const VideoGrant&) const = default;
};

// The `sip` grant: admin manages trunks and dispatch rules, call dials out and transfers.
struct SipGrant {
  bool admin = false;
  bool call = false;
  bool operator==(const SipGrant&) const = default;
};

struct TokenClaims {
  std::string issuer;    // iss: the API key (set by mint_token from api_key)
  std::string identity;  // sub
  std::string name;
  std::string metadata;
  std::string kind;      // standard, ingress, egress, sip, agent, connector, bridge ("" = unset)
  std::string sha256;    // webhooks: padded standard base64 of SHA-256(body)
  std::string room_preset;
  std::map<std::string, std::string> attributes;
  std::optional<VideoGrant> video;
  std::optional<SipGrant> sip;
  nlohmann::json room_config;  // RoomConfiguration as protojson; null = absent
  // Set by mint_token (from the clock and ttl) and by verify_token (from the token).
  std::chrono::system_clock::time_point not_before{}, expires_at{}, issued_at{};
};

// Signs the claims with api_secret; iss = api_key, iat = nbf = clock.wall(), exp = iat + ttl.
// Errors (kInvalidArgument): empty key or secret, ttl not positive.
Result<std::string> mint_token(const TokenClaims& claims, std::string_view api_key, std::string_view api_secret,
                               std::chrono::seconds ttl, const Clock& clock = SystemClock::instance());

// Looks up the secret for an API key; nullopt when the key is unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view api_key)>;

// Checks the token and returns its claims. Every failure is kUnauthenticated and its message
// starts with one of the phrases token_error_kind() recognises:
//   "malformed token: …", "unknown API key '…'", "bad token signature …",
//   "token expired …", "token not yet valid …".
Result<TokenClaims> verify_token(std::string_view jwt, const SecretLookup& secret_for,
                                 const Clock& clock = SystemClock::instance(), std::chrono::seconds leeway = 60s);

enum class TokenErrorKind { kNone, kMalformed, kUnknownKey, kBadSignature, kExpired, kNotYetValid };
// Which verification step an error from verify_token() stands for (kNone for other errors).
TokenErrorKind token_error_kind(const Error& error);
std::string_view to_string(TokenErrorKind kind);

// The claims as the token's JSON payload (without iss/exp/nbf/iat when they are unset).
nlohmann::json claims_to_json(const TokenClaims& claims);
// The payload back into claims; kInvalidArgument naming the bad claim.
Result<TokenClaims> claims_from_json(const nlohmann::json& payload);

// Reads the payload of a JWT without checking anything (for diagnostics: "which key signed
// this?"). Never trust the result.
Result<nlohmann::json> peek_token_payload(std::string_view jwt);

}  // namespace parley::livekit
