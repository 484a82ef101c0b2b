#include "livekit/auth/access_token.h"
#include <algorithm>

#include <cmath>
#include <ctime>

#include "livekit/auth/encoding.h"

namespace parley::livekit {
namespace {

using json = nlohmann::json;
using SysTime = std::chrono::system_clock::time_point;

// Large enough for any real token (metadata and attributes included), small enough that a
// hostile one cannot make us parse megabytes.
constexpr size_t kMaxTokenBytes = 64 * 1024;

constexpr std::string_view kMalformed = "malformed token";
constexpr std::string_view kUnknownKey = "unknown API key";
constexpr std::string_view kBadSignature = "bad token signature";
constexpr std::string_view kExpired = "token expired";
constexpr std::string_view kNotYetValid = "token not yet valid";

tl::unexpected<Error> fail(std::string_view prefix, const std::string& detail) {
  return make_error(ErrorCode::kUnauthenticated, std::string(prefix) + detail);
}

int64_t to_unix(SysTime t) { return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(); }
// Claims come from untrusted tokens: clamp to ±200 years so seconds → nanoseconds cannot overflow.
SysTime from_unix(int64_t s) {
  constexpr int64_t kLimit = 200LL * 366 * 24 * 3600;
  return SysTime(std::chrono::seconds(std::clamp<int64_t>(s, -kLimit, kLimit)));
}

std::string format_time(SysTime t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Field readers for untrusted JSON: a wrong type is an error naming the claim.
bool read_string(const json& obj, const char* key, std::string& out, std::string& err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    err = std::string("claim '") + key + "' is not a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool read_opt_bool(const json& obj, const char* key, std::optional<bool>& out, std::string& err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_boolean()) {
    err = std::string("claim '") + key + "' is not a boolean";
    return false;
  }
  out = it->get<bool>();
  return true;
}

// A plain bool keeps its current value when the claim is absent.
bool read_bool(const json& obj, const char* key, bool& out, std::string& err) {
  std::optional<bool> value;
  if (!read_opt_bool(obj, key, value, err)) return false;
  if (value) out = *value;
  return true;
}

// NumericDate (RFC 7519 §2): seconds, possibly fractional. Bounded so the conversion is defined.
bool read_time(const json& obj, const char* key, std::optional<int64_t>& out, std::string& err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_number()) {
    err = std::string("claim '") + key + "' is not a number";
    return false;
  }
  double v = it->get<double>();
  if (!std::isfinite(v) || v < 0 || v > 1e11) {
    err = std::string("claim '") + key + "' is out of range";
    return false;
  }
  out = int64_t(std::floor(v));
  return true;
}

void put_bool(json& j, const char* key, bool v) {
  if (v) j[key] = true;
}
void put_opt(json& j, const char* key, const std::optional<bool>& v) {
  if (v) j[key] = *v;
}
void put_str(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

json video_to_json(const VideoGrant& g) {
  json j = json::object();
  put_bool(j, "roomCreate", g.room_create);
  put_bool(j, "roomList", g.room_list);
  put_bool(j, "roomRecord", g.room_record);
  put_bool(j, "roomAdmin", g.room_admin);
  put_bool(j, "roomJoin", g.room_join);
  put_str(j, "room", g.room);
  put_str(j, "destinationRoom", g.destination_room);
  put_opt(j, "canPublish", g.can_publish);
  put_opt(j, "canSubscribe", g.can_subscribe);
  put_opt(j, "canPublishData", g.can_publish_data);
  if (!g.can_publish_sources.empty()) j["canPublishSources"] = g.can_publish_sources;
  put_opt(j, "canUpdateOwnMetadata", g.can_update_own_metadata);
  put_bool(j, "ingressAdmin", g.ingress_admin);
  put_bool(j, "hidden", g.hidden);
  put_bool(j, "recorder", g.recorder);
  put_bool(j, "agent", g.agent);
  put_opt(j, "canSubscribeMetrics", g.can_subscribe_metrics);
  put_opt(j, "canManageAgentSession", g.can_manage_agent_session);
  return j;
}

bool video_from_json(const json& j, VideoGrant& g, std::string& err) {
  if (!j.is_object()) {
    err = "claim 'video' is not an object";
    return false;
  }
  bool ok = read_bool(j, "roomCreate", g.room_create, err) && read_bool(j, "roomList", g.room_list, err) &&
            read_bool(j, "roomRecord", g.room_record, err) && read_bool(j, "roomAdmin", g.room_admin, err) &&
            read_bool(j, "roomJoin", g.room_join, err) && read_string(j, "room", g.room, err) &&
            read_string(j, "destinationRoom", g.destination_room, err) &&
            read_opt_bool(j, "canPublish", g.can_publish, err) &&
            read_opt_bool(j, "canSubscribe", g.can_subscribe, err) &&
            read_opt_bool(j, "canPublishData", g.can_publish_data, err) &&
            read_opt_bool(j, "canUpdateOwnMetadata", g.can_update_own_metadata, err) &&
            read_bool(j, "ingressAdmin", g.ingress_admin, err) && read_bool(j, "hidden", g.hidden, err) &&
            read_bool(j, "recorder", g.recorder, err) && read_bool(j, "agent", g.agent, err) &&
            read_opt_bool(j, "canSubscribeMetrics", g.can_subscribe_metrics, err) &&
            read_opt_bool(j, "canManageAgentSession", g.can_manage_agent_session, err);
  if (!ok) return false;
  if (auto it = j.find("canPublishSources"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) {
      err = "claim 'canPublishSources' is not a list";
      return false;
    }
    for (const auto& s : *it) {
      if (!s.is_string()) {
        err = "claim 'canPublishSources' holds a non-string";
        return false;
      }
      g.can_publish_sources.push_back(s.get<std::string>());
    }
  }
  return true;
}

}  // namespace

json claims_to_json(const TokenClaims& c) {
  json j = json::object();
  put_str(j, "iss", c.issuer);
  put_str(j, "sub", c.identity);
  if (c.not_before != SysTime{}) j["nbf"] = to_unix(c.not_before);
  if (c.expires_at != SysTime{}) j["exp"] = to_unix(c.expires_at);
  if (c.issued_at != SysTime{}) j["iat"] = to_unix(c.issued_at);
  put_str(j, "name", c.name);
  put_str(j, "metadata", c.metadata);
  put_str(j, "kind", c.kind);
  put_str(j, "sha256", c.sha256);
  put_str(j, "roomPreset", c.room_preset);
  if (!c.attributes.empty()) j["attributes"] = c.attributes;
  if (c.video) j["video"] = video_to_json(*c.video);
  if (c.sip) {
    json s = json::object();
    put_bool(s, "admin", c.sip->admin);
    put_bool(s, "call", c.sip->call);
    j["sip"] = s;
  }
  if (!c.room_config.is_null()) j["roomConfig"] = c.room_config;
  return j;
}

Result<TokenClaims> claims_from_json(const json& p) {
  if (!p.is_object()) return make_error(ErrorCode::kInvalidArgument, "the payload is not a JSON object");
  TokenClaims c;
  std::string err;
  std::optional<int64_t> nbf, exp, iat;
  bool ok = read_string(p, "iss", c.issuer, err) && read_string(p, "sub", c.identity, err) &&
            read_string(p, "name", c.name, err) && read_string(p, "metadata", c.metadata, err) &&
            read_string(p, "kind", c.kind, err) && read_string(p, "sha256", c.sha256, err) &&
            read_string(p, "roomPreset", c.room_preset, err) && read_time(p, "nbf", nbf, err) &&
            read_time(p, "exp", exp, err) && read_time(p, "iat", iat, err);
  if (!ok) return make_error(ErrorCode::kInvalidArgument, err);
  // LiveKit falls back to jti when sub is absent.
  if (c.identity.empty() && !read_string(p, "jti", c.identity, err)) return make_error(ErrorCode::kInvalidArgument, err);
  if (nbf) c.not_before = from_unix(*nbf);
  if (exp) c.expires_at = from_unix(*exp);
  if (iat) c.issued_at = from_unix(*iat);
  if (auto it = p.find("attributes"); it != p.end() && !it->is_null()) {
    if (!it->is_object()) return make_error(ErrorCode::kInvalidArgument, "claim 'attributes' is not an object");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return make_error(ErrorCode::kInvalidArgument, "attribute '" + k + "' is not a string");
      c.attributes[k] = v.get<std::string>();
    }
  }
  if (auto it = p.find("video"); it != p.end() && !it->is_null()) {
    VideoGrant g;
    if (!video_from_json(*it, g, err)) return make_error(ErrorCode::kInvalidArgument, err);
    c.video = std::move(g);
  }
  if (auto it = p.find("sip"); it != p.end() && !it->is_null()) {
    if (!it->is_object()) return make_error(ErrorCode::kInvalidArgument, "claim 'sip' is not an object");
    SipGrant g;
    if (!read_bool(*it, "admin", g.admin, err) || !read_bool(*it, "call", g.call, err)) {
      return make_error(ErrorCode::kInvalidArgument, err);
    }
    c.sip = g;
  }
  if (auto it = p.find("roomConfig"); it != p.end() && !it->is_null()) {
    if (!it->is_object()) return make_error(ErrorCode::kInvalidArgument, "claim 'roomConfig' is not an object");
    c.room_config = *it;
  }
  return c;
}

Result<std::string> mint_token(const TokenClaims& claims, std::string_view api_key, std::string_view api_secret,
                               std::chrono::seconds ttl, const Clock& clock) {
  if (api_key.empty()) return make_error(ErrorCode::kInvalidArgument, "no API key to sign the token with");
  if (api_secret.empty()) return make_error(ErrorCode::kInvalidArgument, "no API secret to sign the token with");
  if (ttl.count() <= 0) return make_error(ErrorCode::kInvalidArgument, "token TTL must be positive");
  TokenClaims c = claims;
  c.issuer = std::string(api_key);
  // Whole seconds, as NumericDate is written.
  SysTime now = std::chrono::time_point_cast<std::chrono::seconds>(clock.wall());
  c.issued_at = now;
  c.not_before = now;
  c.expires_at = now + ttl;
  static const std::string kHeader = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  std::string payload;
  try {
    payload = claims_to_json(c).dump();
  } catch (const std::exception&) {
    return make_error(ErrorCode::kInvalidArgument, "a token claim (name, metadata or an attribute) is not valid UTF-8");
  }
  std::string signing_input = kHeader + "." + base64url_encode(payload);
  std::string sig = base64url_encode(hmac_sha256(api_secret, signing_input));
  return signing_input + "." + sig;
}

namespace {

struct Parts {
  std::string_view header, payload, signature;
};

Result<Parts> split(std::string_view jwt) {
  if (jwt.empty()) return fail(kMalformed, ": empty");
  if (jwt.size() > kMaxTokenBytes) return fail(kMalformed, ": longer than 64 KiB");
  auto d1 = jwt.find('.');
  if (d1 == std::string_view::npos) return fail(kMalformed, ": not a JWT (no '.' separators)");
  auto d2 = jwt.find('.', d1 + 1);
  if (d2 == std::string_view::npos || jwt.find('.', d2 + 1) != std::string_view::npos) {
    return fail(kMalformed, ": a JWT has exactly three '.'-separated parts");
  }
  return Parts{jwt.substr(0, d1), jwt.substr(d1 + 1, d2 - d1 - 1), jwt.substr(d2 + 1)};
}

Result<json> decode_part(std::string_view part, const char* what) {
  auto raw = base64url_decode(part);
  if (!raw) return fail(kMalformed, std::string(": the ") + what + " is not base64url");
  json j = json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(kMalformed, std::string(": the ") + what + " is not a JSON object");
  return j;
}

}  // namespace

Result<json> peek_token_payload(std::string_view jwt) {
  auto parts = split(jwt);
  if (!parts) return tl::unexpected(parts.error());
  return decode_part(parts->payload, "payload");
}

Result<TokenClaims> verify_token(std::string_view jwt, const SecretLookup& secret_for, const Clock& clock,
                                 std::chrono::seconds leeway) {
  // A leeway beyond a day is a caller error; bounding it keeps the time arithmetic from overflowing.
  leeway = std::clamp(leeway, std::chrono::seconds(0), std::chrono::seconds(86400));
  try {
    // Tokens come from query strings and headers; surrounding whitespace is never part of them.
    while (!jwt.empty() && (jwt.back() == ' ' || jwt.back() == '\r' || jwt.back() == '\n')) jwt.remove_suffix(1);
    while (!jwt.empty() && jwt.front() == ' ') jwt.remove_prefix(1);
    auto parts = split(jwt);
    if (!parts) return tl::unexpected(parts.error());
    auto header = decode_part(parts->header, "header");
    if (!header) return tl::unexpected(header.error());
    auto alg = header->find("alg");
    if (alg == header->end() || !alg->is_string()) return fail(kMalformed, ": the header names no algorithm");
    // Only HS256: accepting what the token names ("none", RS256 with the secret as a public
    // key) is the classic JWT forgery.
    if (alg->get<std::string>() != "HS256") {
      return fail(kMalformed, ": algorithm '" + alg->get<std::string>() + "' is not HS256");
    }
    auto payload = decode_part(parts->payload, "payload");
    if (!payload) return tl::unexpected(payload.error());
    auto iss = payload->find("iss");
    if (iss == payload->end() || !iss->is_string() || iss->get<std::string>().empty()) {
      return fail(kMalformed, ": no issuer (iss, the API key)");
    }
    std::string key = iss->get<std::string>();
    std::optional<std::string> secret = secret_for ? secret_for(key) : std::nullopt;
    if (!secret) return fail(kUnknownKey, " '" + key + "': no secret is configured for it");
    auto sig = base64url_decode(parts->signature);
    if (!sig) return fail(kMalformed, ": the signature is not base64url");
    std::string signing_input(jwt.substr(0, parts->header.size() + 1 + parts->payload.size()));
    if (!constant_time_equal(*sig, hmac_sha256(*secret, signing_input))) {
      return fail(kBadSignature, ": the token was not signed with the secret configured for API key '" + key + "'");
    }
    auto claims = claims_from_json(*payload);
    if (!claims) return fail(kMalformed, ": " + claims.error().message);
    auto exp_it = payload->find("exp");
    if (exp_it == payload->end() || exp_it->is_null()) return fail(kMalformed, ": no expiry (exp)");
    SysTime now = clock.wall();
    if (now > claims->expires_at + leeway) {
      return fail(kExpired, " at " + format_time(claims->expires_at) + " (now " + format_time(now) + ", leeway " +
                                std::to_string(leeway.count()) + "s)");
    }
    if (payload->contains("nbf") && now + leeway < claims->not_before) {
      return fail(kNotYetValid, " before " + format_time(claims->not_before) + " (now " + format_time(now) +
                                    ", leeway " + std::to_string(leeway.count()) + "s): check the clocks");
    }
    if (payload->contains("iat") && now + leeway < claims->issued_at) {
      return fail(kNotYetValid, ": issued in the future at " + format_time(claims->issued_at) + " (now " +
                                    format_time(now) + "): check the clocks");
    }
    return claims;
  } catch (const std::exception& e) {
    // nlohmann reports a few things (e.g. invalid UTF-8 when dumping) by exception.
    return fail(kMalformed, std::string(": ") + e.what());
  }
}

TokenErrorKind token_error_kind(const Error& e) {
  if (e.code != ErrorCode::kUnauthenticated) return TokenErrorKind::kNone;
  auto starts = [&](std::string_view p) { return std::string_view(e.message).substr(0, p.size()) == p; };
  if (starts(kMalformed)) return TokenErrorKind::kMalformed;
  if (starts(kUnknownKey)) return TokenErrorKind::kUnknownKey;
  if (starts(kBadSignature)) return TokenErrorKind::kBadSignature;
  if (starts(kExpired)) return TokenErrorKind::kExpired;
  if (starts(kNotYetValid)) return TokenErrorKind::kNotYetValid;
  return TokenErrorKind::kNone;
}

std::string_view to_string(TokenErrorKind k) {
  switch (k) {
    case TokenErrorKind::kNone: return "none";
    case TokenErrorKind::kMalformed: return "malformed";
    case TokenErrorKind::kUnknownKey: return "unknown_key";
    case TokenErrorKind::kBadSignature: return "bad_signature";
    case TokenErrorKind::kExpired: return "expired";
    case TokenErrorKind::kNotYetValid: return "not_yet_valid";
  }
  return "none";
}

}  // namespace parley::livekit
