#include "livekit/api/twirp_error.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "net/http_status.h"

namespace parley::livekit {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.size() > 500) s = s.substr(0, 500);
  std::string out;
  for (char c : s) out += (static_cast<unsigned char>(c) < 0x20 && c != '\n') ? '?' : c;
  return out;
}

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

}  // namespace

TwirpError parse_twirp_error(int status, std::string_view body) {
  TwirpError e;
  e.status = status;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    auto code = j.find("code");
    auto msg = j.find("msg");
    if (code != j.end() && code->is_string()) {
      e.code = code->get<std::string>();
      if (msg != j.end() && msg->is_string()) e.msg = trim(msg->get<std::string>());
      if (auto meta = j.find("meta"); meta != j.end() && meta->is_object()) {
        for (const auto& [k, v] : meta->items()) {
          if (v.is_string()) e.meta[k] = trim(v.get<std::string>());
        }
      }
      return e;
    }
  }
  e.plain_text = true;
  e.msg = trim(body);
  // livekit-server echoes the rejected token ("invalid token: <jwt>, error: …"); a credential
  // has no place in an error message, so only the reason is kept.
  if (auto at = e.msg.find("invalid token: "); at != std::string::npos) {
    auto reason = e.msg.find(", error: ", at);
    e.msg = e.msg.substr(0, at) + "invalid token" + (reason == std::string::npos ? std::string() : ": " + e.msg.substr(reason + 9));
  }
  return e;
}

ErrorCode error_code_for(const TwirpError& e) {
  const std::string& c = e.code;
  if (c == "unauthenticated") return ErrorCode::kUnauthenticated;
  if (c == "permission_denied") return ErrorCode::kPermissionDenied;
  if (c == "invalid_argument" || c == "out_of_range" || c == "failed_precondition" || c == "malformed") {
    return ErrorCode::kInvalidArgument;
  }
  if (c == "not_found" || c == "bad_route") return ErrorCode::kNotFound;
  if (c == "already_exists") return ErrorCode::kAlreadyExists;
  if (c == "resource_exhausted") return ErrorCode::kResourceExhausted;
  if (c == "unavailable") return ErrorCode::kUnavailable;
  if (c == "deadline_exceeded") return ErrorCode::kTimeout;
  if (c == "canceled") return ErrorCode::kCancelled;
  if (c == "internal" || c == "unknown" || c == "dataloss" || c == "unimplemented") return ErrorCode::kInternal;
  return net::classify_http_status(e.status).code;
}

bool is_sip_not_connected(const TwirpError& e) { return contains(e.msg, "sip not connected"); }

Error explain_api_error(const TwirpError& e, const ErrorContext& ctx) {
  const std::string key = ctx.api_key;
  const std::string prefix = ctx.method.empty() ? "" : ctx.method + ": ";
  bool skewed = ctx.clock_skew && std::abs(ctx.clock_skew->count()) > ctx.leeway.count();
  auto skew_text = [&] {
    long long s = ctx.clock_skew->count();
    return "the server's clock is " + std::to_string(std::llabs(s)) + " s " + (s > 0 ? "ahead of" : "behind") +
           " the clock that minted the token, more than the " + std::to_string(ctx.leeway.count()) +
           " s token leeway (fix: synchronise both clocks with NTP, e.g. `timedatectl set-ntp true`)";
  };
  if (e.status == 401 && e.plain_text && contains(e.msg, "invalid API key")) {
    return Error(ErrorCode::kUnauthenticated,
                 prefix + "unknown API key " + key +
                     ": the server's keys do not include it (fix: use a key from the server's `keys:` "
                     "configuration, or add this key and its secret there)");
  }
  if (e.status == 401 && e.plain_text && (contains(e.msg, "invalid authorization token") || contains(e.msg, "invalid token"))) {
    // The server says only that the token failed to verify: either the signature (secret) or
    // the times (nbf/exp). The Date header tells the two apart.
    bool time_claims = contains(e.msg, "not valid yet") || contains(e.msg, "expired") ||
                       contains(e.msg, "used before issued") || contains(e.msg, "invalid claims");
    bool bad_signature = contains(e.msg, "signature");
    if (!bad_signature && (skewed || time_claims)) {
      if (skewed) return Error(ErrorCode::kUnauthenticated, prefix + "the server rejected the token: " + skew_text());
      return Error(ErrorCode::kUnauthenticated,
                   prefix + "the server rejected the token as expired or not yet valid (" + e.msg +
                       "): the clocks of this host and the server differ (fix: synchronise them with NTP)");
    }
    return Error(ErrorCode::kUnauthenticated,
                 prefix + "the secret for API key " + key +
                     " does not match the server's (fix: set LIVEKIT_API_SECRET to the secret paired with " + key +
                     " in the server's `keys:` configuration)");
  }
  if (is_sip_not_connected(e)) {
    return Error(ErrorCode::kUnavailable,
                 prefix + "the server's SIP service is not connected: livekit-server runs without Redis, and "
                          "SIP needs it (\"" + e.msg + "\") (fix: set `redis.address` in the livekit-server "
                          "configuration, the same Redis the SIP bridge uses, and restart the server)");
  }
  ErrorCode code = error_code_for(e);
  bool retryable = net::classify_http_status(e.status).retryable;
  std::string text;
  if (e.plain_text) {
    text = "HTTP " + std::to_string(e.status) + (e.msg.empty() ? std::string() : ": " + e.msg);
  } else {
    text = e.code + ": " + e.msg;
  }
  if (e.code == "unauthenticated" && contains(e.msg, "permissions denied")) {
    text += " (the token lacks the grant this method needs)";
  }
  return Error(code, prefix + text, retryable);
}

}  // namespace parley::livekit
