// Calls LiveKit's server API (Twirp over HTTP/1.1, JSON) with a fresh short-lived token per
// attempt carrying only the grant the method needs (livekit-protocol.md §5). Retries with
// exponential backoff and full jitter on connection errors, 5xx and 429 (honouring
// Retry-After); never on other 4xx. Every failure comes back explained (see twirp_error.h).
//
// Metrics: parley_livekit_api_calls_total{method,result}, parley_livekit_api_latency_seconds{method}.
// Blocking and thread-safe (see HttpClient).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "livekit/api/http_client.h"
#include "livekit/auth/access_token.h"

namespace parley::livekit {

struct ApiOptions {
  std::string url;  // ws://, wss://, http:// or https://
  std::string api_key;
  std::string api_secret;
  std::chrono::milliseconds request_timeout{30'000};  // per attempt and step
  int retry_attempts = 3;                             // total tries
  Millis backoff_base{200};
  Millis backoff_cap{5'000};
  std::chrono::seconds token_ttl{600};
  const Clock* clock = &SystemClock::instance();  // mints tokens (a ShiftedClock simulates skew)
  tls::Trust trust;                               // for https:// (livekit.ca_file)

  static ApiOptions from_config(const LiveKitConfig& c);
};

class TwirpClient {
 public:
  // Errors: kInvalidArgument for a bad URL or a missing key/secret.
  static Result<std::unique_ptr<TwirpClient>> create(ApiOptions options);

  // POST /twirp/livekit.<service>/<method>. `grant` holds the video/SIP grants for the token.
  // Returns the JSON response (snake_case, int64 as strings).
  // `idempotent` false (SIP.TransferSIPParticipant: a second REFER would transfer again): only
  // a failure before the request was sent, or a 429, is retried — never a timeout or 5xx.
  Result<nlohmann::json> call(std::string_view service, std::string_view method, const nlohmann::json& request,
                              const TokenClaims& grant, bool idempotent = true);

  // Any thread: the call in flight (its request or its wait before a retry) and every later one
  // fail at once with kCancelled. For shutting down a client whose call hangs.
  void cancel();

  const ApiOptions& options() const { return options_; }
  HttpClient& http() { return *http_; }
  // The server's clock minus the token clock, from the Date header of the last answer.
  std::optional<std::chrono::seconds> last_clock_skew() const;

 private:
  TwirpClient(ApiOptions options, Url url);
  ApiOptions options_;
  Url url_;
  std::unique_ptr<HttpClient> http_;
  std::optional<std::chrono::seconds> last_skew_;
  mutable std::mutex skew_mutex_;
  std::mutex cancel_mutex_;
  std::condition_variable cancel_cv_;
  bool cancelled_ = false;
};

// Grants for the methods (the least each needs).
TokenClaims grant_room_create();
TokenClaims grant_room_list();
TokenClaims grant_room_admin(std::string_view room);
TokenClaims grant_sip_admin();
TokenClaims grant_sip_call(std::string_view room_admin_for = {});

}  // namespace parley::livekit
