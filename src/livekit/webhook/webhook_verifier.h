// Verifies that a webhook came from the LiveKit server (protocol notes §6): the Authorization
// header holds a JWT (raw, or after "Bearer ") signed HS256 with the secret of one of our keys,
// named by its `iss`; its `sha256` claim is the standard padded base64 of SHA-256 of the raw
// body, compared in constant time; exp and nbf are checked with one minute of leeway.
//
// Several keys are accepted at once so that keys can be rotated without dropping webhooks.
// Errors name the cause and the key, never a secret. Immutable after construction: any thread.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "core/clock.h"

namespace parley::livekit::webhook {

enum class WebhookAuthFailure {
  kMissing,       // no Authorization header
  kMalformed,     // not a JWT, or not HS256
  kUnknownKey,    // iss names a key we do not have
  kBadSignature,  // signed with another secret
  kExpired,
  kNotYetValid,
  kBodyMismatch,  // the sha256 claim does not match the body (altered, or a token replayed on another body)
};

std::string_view to_string(WebhookAuthFailure f);  // "missing", "unknown_key", ... (metric labels)

struct WebhookAuthError {
  WebhookAuthFailure failure;
  std::string message;  // for the log: cause and key, never the secret
};

struct VerifiedWebhook {
  std::string api_key;  // the key that signed it
};

// SHA-256 of bytes as standard padded base64: what LiveKit puts in the sha256 claim.
std::string body_sha256_base64(std::string_view body);

class WebhookVerifier {
 public:
  // keys: api key -> secret. leeway applies to exp and nbf.
  explicit WebhookVerifier(std::map<std::string, std::string> keys, const Clock& clock = SystemClock::instance(),
                           std::chrono::seconds leeway = std::chrono::seconds(60));

  tl::expected<VerifiedWebhook, WebhookAuthError> verify(std::string_view authorization, std::string_view body) const;

  size_t key_count() const { return keys_.size(); }

 private:
  std::map<std::string, std::string> keys_;
  const Clock& clock_;
  std::chrono::seconds leeway_;
};

}  // namespace parley::livekit::webhook
