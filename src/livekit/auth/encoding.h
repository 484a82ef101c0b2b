// Byte encodings used by LiveKit tokens and webhooks: base64url without padding (JWT, RFC 7515
// §2), standard padded base64 (the webhook `sha256` claim), HMAC-SHA256 and SHA-256 via OpenSSL,
// and a constant-time comparison for signatures and digests.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley::livekit {

std::string base64url_encode(std::string_view bytes);
// Accepts the unpadded form JWTs use and, leniently, trailing '=' padding. nullopt when any
// character is outside the base64url alphabet or the length is impossible.
std::optional<std::string> base64url_decode(std::string_view text);

std::string base64_encode(std::string_view bytes);  // standard alphabet, padded
std::optional<std::string> base64_decode(std::string_view text);

std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string sha256(std::string_view data);                             // 32 raw bytes

// True when equal; the time taken depends only on the lengths, never on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace parley::livekit
