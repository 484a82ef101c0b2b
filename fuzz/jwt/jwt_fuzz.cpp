// The JWT parser and verifier on arbitrary bytes: never crashes, never accepts a token that was
// not signed with the secret, and whatever it does accept re-mints and re-verifies.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "livekit/auth/access_token.h"
#include "livekit/auth/encoding.h"

using namespace parley;
using namespace parley::livekit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const ManualClock clock;
  auto lookup = [](std::string_view key) -> std::optional<std::string> {
    if (key == "devkey") return std::string("secret");
    return std::nullopt;
  };
  // 1. The raw input as a token.
  auto r = verify_token(input, lookup, clock, std::chrono::seconds(1LL << 40));
  if (r) {
    // Accepting means the HMAC matched: only possible for input signed with "secret".
    std::string_view signing = input.substr(0, input.rfind('.'));
    auto sig = base64url_decode(input.substr(input.rfind('.') + 1));
    if (!sig || *sig != hmac_sha256("secret", signing)) std::abort();
  } else if (token_error_kind(r.error()) == TokenErrorKind::kNone) {
    std::abort();  // every failure must be classified
  }
  (void)peek_token_payload(input);
  // 2. The input as a payload, correctly signed: the claims parser on arbitrary JSON.
  std::string head = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  std::string signing = head + "." + base64url_encode(input);
  std::string jwt = signing + "." + base64url_encode(hmac_sha256("secret", signing));
  auto claims = verify_token(jwt, lookup, clock, std::chrono::seconds(1LL << 40));
  if (claims) {
    auto again = mint_token(*claims, "devkey", "secret", std::chrono::seconds(60), clock);
    if (again && !verify_token(*again, lookup, clock)) std::abort();
  }
  // 3. base64 decoders.
  (void)base64_decode(input);
  if (auto d = base64url_decode(input); d && base64url_encode(*d) != input && input.find('=') == std::string_view::npos) {
    std::abort();  // canonical: decoding then encoding gives the input back
  }
  return 0;
}
