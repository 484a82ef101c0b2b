// Join tokens for tests against the local stack (devkey/secret). A small HS256 signer kept in
// the tests so the signal tests do not depend on the auth layer's own token code.
#pragma once

#include <chrono>
#include <string>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

namespace parley::testing {

inline const char* kStackUrl = "ws://127.0.0.1:7880";
inline const char* kStackKey = "devkey";
inline const char* kStackSecret = "secret";

inline std::string base64url(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63]};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63]};
  }
  return out;
}

// A join token for room/identity; extra is merged into the claims (e.g. {"kind":"agent"}).
inline std::string join_token(const std::string& room, const std::string& identity,
                              const nlohmann::json& extra = nlohmann::json::object(),
                              const std::string& secret = kStackSecret, const std::string& key = kStackKey) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json claims = {{"iss", key}, {"sub", identity}, {"nbf", now - 10}, {"iat", now - 10}, {"exp", now + 600},
                           {"video", {{"roomJoin", true}, {"room", room}}}};
  claims.merge_patch(extra);
  std::string signing = base64url(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(signing.data()),
       signing.size(), mac, &len);
  return signing + "." + base64url(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace parley::testing
