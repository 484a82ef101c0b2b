// Signs webhook bodies the way the LiveKit server does (protocol notes §6), for tests: an HS256
// JWT whose sha256 claim is the padded base64 SHA-256 of the body. Written from the spec, not
// shared with the verifier, so a test cannot pass by the two agreeing on the same mistake.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace parley::testing {

inline std::string b64(const unsigned char* data, size_t n, bool url) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  if (url) {
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return out;
}

inline std::string b64url(const std::string& s) {
  return b64(reinterpret_cast<const unsigned char*>(s.data()), s.size(), true);
}

struct SignOptions {
  long long exp_offset_s = 300;  // LiveKit's webhook tokens are valid 5 minutes
  long long nbf_offset_s = 0;
  std::string alg = "HS256";
  std::string sha_override;  // sign this sha256 claim instead of the body's
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

inline std::string sign_webhook(const std::string& key, const std::string& secret, const std::string& body,
                                const SignOptions& o = {}) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  long long now = std::chrono::duration_cast<std::chrono::seconds>(o.now.time_since_epoch()).count();
  nlohmann::json header = {{"alg", o.alg}, {"typ", "JWT"}};
  nlohmann::json claims = {{"iss", key},
                           {"exp", now + o.exp_offset_s},
                           {"nbf", now + o.nbf_offset_s},
                           {"sha256", o.sha_override.empty() ? b64(digest, sizeof digest, false) : o.sha_override}};
  std::string signing_input = b64url(header.dump()) + "." + b64url(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_len);
  return signing_input + "." + b64(mac, mac_len, true);
}

// A WebhookEvent body as LiveKit's protojson writes it.
inline std::string participant_joined_body(const std::string& id, const std::string& room, const std::string& identity,
                                           const std::string& kind = "STANDARD", const std::string& psid = "") {
  nlohmann::json p = {{"sid", psid.empty() ? "PA_" + identity + "_" + room : psid},
                      {"identity", identity},
                      {"state", "ACTIVE"},
                      {"joinedAt", "1764000000"},
                      {"kind", kind}};
  if (kind == "SIP") {
    // An inbound call as the bridge makes it: through a dispatch rule (sip.ruleID).
    p["attributes"] = {{"sip.callID", "SCL_" + identity},
                       {"sip.ruleID", "SDR_test"},
                       {"sip.phoneNumber", "+15550001111"},
                       {"sip.trunkPhoneNumber", "+15559998888"}};
  }
  nlohmann::json ev = {{"event", "participant_joined"},
                       {"room", {{"sid", "RM_" + room}, {"name", room}, {"creationTime", "1764000000"}}},
                       {"participant", p},
                       {"id", id},
                       {"createdAt", "1764000001"}};
  return ev.dump();
}

inline std::string simple_event_body(const std::string& event, const std::string& id, const std::string& room,
                                     const std::string& identity = "", const std::string& psid = "") {
  nlohmann::json ev = {{"event", event},
                       {"room", {{"sid", "RM_" + room}, {"name", room}}},
                       {"id", id},
                       {"createdAt", "1764000001"}};
  if (!identity.empty()) ev["participant"] = {{"sid", psid.empty() ? "PA_" + identity + "_" + room : psid}, {"identity", identity}};
  if (event == "track_published" || event == "track_unpublished") {
    ev["track"] = {{"sid", "TR_" + identity}, {"type", "AUDIO"}, {"source", "MICROPHONE"}, {"mimeType", "audio/opus"}};
  }
  return ev.dump();
}

}  // namespace parley::testing
