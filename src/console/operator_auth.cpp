#include "console/operator_auth.h"

#include <openssl/crypto.h>

#include "livekit/auth/encoding.h"

namespace parley::console {

namespace {

bool same(std::string_view a, const std::string& b) {
  // CRYPTO_memcmp takes the same time whatever the content; only the length may show.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  }
  return true;
}

}  // namespace

bool operator_authorized(std::string_view authorization, const std::string& token) {
  if (token.empty()) return false;
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  if (starts_with_nocase(authorization, "bearer ")) {
    auto given = authorization.substr(7);
    while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
    return same(given, token);
  }
  if (starts_with_nocase(authorization, "basic ")) {
    auto decoded = livekit::base64_decode(authorization.substr(6));
    if (!decoded) return false;
    auto colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    return same(std::string_view(*decoded).substr(colon + 1), token);
  }
  return false;
}

}  // namespace parley::console
