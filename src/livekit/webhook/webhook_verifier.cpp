#include "livekit/webhook/webhook_verifier.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "livekit/auth/access_token.h"

namespace parley::livekit::webhook {
namespace {

using Failure = WebhookAuthFailure;

tl::unexpected<WebhookAuthError> fail(Failure f, std::string message) {
  return tl::unexpected(WebhookAuthError{f, std::move(message)});
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view to_string(WebhookAuthFailure f) {
  switch (f) {
    case Failure::kMissing: return "missing";
    case Failure::kMalformed: return "malformed";
    case Failure::kUnknownKey: return "unknown_key";
    case Failure::kBadSignature: return "bad_signature";
    case Failure::kExpired: return "expired";
    case Failure::kNotYetValid: return "not_yet_valid";
    case Failure::kBodyMismatch: return "body_mismatch";
  }
  return "unknown";
}

std::string body_sha256_base64(std::string_view body) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  unsigned char out[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA256_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

WebhookVerifier::WebhookVerifier(std::map<std::string, std::string> keys, const Clock& clock, std::chrono::seconds leeway)
    : keys_(std::move(keys)), clock_(clock), leeway_(leeway) {
  // HMAC with an empty key is computable by anyone: such a key verifies nothing, so it is dropped
  // and its webhooks are refused as from an unknown key (configuration validation names it first).
  std::erase_if(keys_, [](const auto& kv) { return kv.second.empty(); });
}

tl::expected<VerifiedWebhook, WebhookAuthError> WebhookVerifier::verify(std::string_view authorization,
                                                                       std::string_view body) const {
  std::string_view token = authorization;
  auto trim = [&] {
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  };
  trim();
  // LiveKit sends the raw JWT (§6); other senders (and LiveKit's own receiver) accept "Bearer ".
  if (token == "Bearer" || token == "bearer") token = {};
  if (token.size() >= 7 && (token.substr(0, 7) == "Bearer " || token.substr(0, 7) == "bearer ")) {
    token.remove_prefix(7);
    trim();
  }
  if (token.empty()) return fail(Failure::kMissing, "no Authorization header (webhooks carry a signed JWT there)");
  if (token.size() > 8192) return fail(Failure::kMalformed, "Authorization header is too long to be a webhook token");

  auto claims = verify_token(
      token,
      [this](std::string_view key) -> std::optional<std::string> {
        auto it = keys_.find(std::string(key));
        if (it == keys_.end()) return std::nullopt;
        return it->second;
      },
      clock_, leeway_);
  if (!claims) {
    switch (token_error_kind(claims.error())) {
      case TokenErrorKind::kUnknownKey:
        return fail(Failure::kUnknownKey, claims.error().message + " (add it to livekit.api_key or webhook.extra_keys)");
      case TokenErrorKind::kBadSignature:
        return fail(Failure::kBadSignature, claims.error().message + " (the server and parley have different secrets)");
      case TokenErrorKind::kExpired:
        return fail(Failure::kExpired, claims.error().message + " (replayed, or this host's clock is off)");
      case TokenErrorKind::kNotYetValid:
        return fail(Failure::kNotYetValid, claims.error().message);
      case TokenErrorKind::kMalformed:
      case TokenErrorKind::kNone:
        break;
    }
    return fail(Failure::kMalformed, "Authorization is not a valid token: " + claims.error().message);
  }
  if (claims->sha256.empty()) {
    return fail(Failure::kMalformed, "token has no sha256 claim (not a webhook token)");
  }
  if (!constant_time_equal(body_sha256_base64(body), claims->sha256)) {
    return fail(Failure::kBodyMismatch, "body does not match the token's sha256 claim (altered, or a token reused)");
  }
  return VerifiedWebhook{claims->issuer};
}

}  // namespace parley::livekit::webhook
