#include "livekit/auth/access_token.h"

#include <gtest/gtest.h>

#include "livekit/auth/encoding.h"
#include "livekit/auth/shifted_clock.h"
#include "core/log.h"

namespace parley::livekit {
namespace {

using json = nlohmann::json;

SecretLookup keys(std::map<std::string, std::string> m) {
  return [m](std::string_view k) -> std::optional<std::string> {
    auto it = m.find(std::string(k));
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

json payload_of(const std::string& jwt) {
  auto p = peek_token_payload(jwt);
  EXPECT_TRUE(p);
  return p ? *p : json();
}

// Re-signs a modified payload with the right secret, as a forger holding the secret would.
std::string resign(const std::string& jwt, const json& payload, const std::string& secret) {
  std::string head = jwt.substr(0, jwt.find('.'));
  std::string input = head + "." + base64url_encode(payload.dump());
  return input + "." + base64url_encode(hmac_sha256(secret, input));
}

TEST(AccessToken, RoundTripsEveryClaim) {
  ManualClock clock;
  TokenClaims c;
  c.identity = "caller-1";
  c.name = "Caller";
  c.metadata = R"({"x":1})";
  c.kind = "agent";
  c.sha256 = "abc=";
  c.attributes = {{"lang", "en"}, {"sip.callID", "SCL_1"}};
  VideoGrant v;
  v.room_join = v.room_create = v.room_list = v.room_record = v.room_admin = true;
  v.ingress_admin = v.hidden = v.recorder = v.agent = true;
  v.room = "r1";
  v.can_publish = true;
  v.can_subscribe = false;
  v.can_publish_data = true;
  v.can_update_own_metadata = true;
  v.can_publish_sources = {"microphone", "screen_share_audio"};
  c.video = v;
  c.sip = SipGrant{true, true};
  auto tok = mint_token(c, "APIkey", "a-long-enough-secret-for-testing-1234", std::chrono::hours(1), clock);
  ASSERT_TRUE(tok) << tok.error().to_string();
  auto got = verify_token(*tok, keys({{"APIkey", "a-long-enough-secret-for-testing-1234"}}), clock);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->issuer, "APIkey");
  EXPECT_EQ(got->identity, "caller-1");
  EXPECT_EQ(got->name, "Caller");
  EXPECT_EQ(got->metadata, c.metadata);
  EXPECT_EQ(got->kind, "agent");
  EXPECT_EQ(got->sha256, "abc=");
  EXPECT_EQ(got->attributes, c.attributes);
  ASSERT_TRUE(got->video);
  EXPECT_EQ(*got->video, v);
  ASSERT_TRUE(got->sip);
  EXPECT_EQ(*got->sip, (SipGrant{true, true}));
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(clock.wall());
  EXPECT_EQ(got->issued_at, now);
  EXPECT_EQ(got->not_before, now);
  EXPECT_EQ(got->expires_at, now + std::chrono::hours(1));
}

TEST(AccessToken, WritesLiveKitClaimNamesAndOmitsUnsetOptionals) {
  ManualClock clock;
  TokenClaims c;
  c.identity = "a";
  VideoGrant v;
  v.room_join = true;
  v.room = "r";
  c.video = v;
  auto tok = mint_token(c, "k", "s", std::chrono::seconds(60), clock);
  ASSERT_TRUE(tok);
  json header = json::parse(*base64url_decode(tok->substr(0, tok->find('.'))));
  EXPECT_EQ(header["alg"], "HS256");
  json p = payload_of(*tok);
  EXPECT_EQ(p["iss"], "k");
  EXPECT_EQ(p["sub"], "a");
  EXPECT_TRUE(p["exp"].is_number_integer());
  EXPECT_EQ(p["exp"].get<int64_t>() - p["nbf"].get<int64_t>(), 60);
  EXPECT_EQ(p["video"], (json{{"roomJoin", true}, {"room", "r"}}));
  EXPECT_FALSE(p.contains("sip"));
  EXPECT_FALSE(p.contains("name"));
  EXPECT_FALSE(p.contains("attributes"));
}

TEST(AccessToken, MintRejectsBadInput) {
  TokenClaims c;
  EXPECT_EQ(mint_token(c, "", "s", std::chrono::seconds(1)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(mint_token(c, "k", "", std::chrono::seconds(1)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(mint_token(c, "k", "s", std::chrono::seconds(0)).error().code, ErrorCode::kInvalidArgument);
  c.metadata = "\xff\xfe";
  auto bad = mint_token(c, "k", "s", std::chrono::seconds(1));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("UTF-8"), std::string::npos);
}

TEST(AccessToken, TellsFailuresApart) {
  ManualClock clock;
  TokenClaims c;
  c.identity = "a";
  auto tok = *mint_token(c, "k", "right", std::chrono::seconds(600), clock);
  auto check = [&](std::string_view jwt, const SecretLookup& lookup, const Clock& at) {
    auto r = verify_token(jwt, lookup, at);
    EXPECT_FALSE(r);
    if (r) return TokenErrorKind::kNone;
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
    return token_error_kind(r.error());
  };
  EXPECT_EQ(check(tok, keys({{"other", "right"}}), clock), TokenErrorKind::kUnknownKey);
  EXPECT_EQ(check(tok, keys({{"k", "wrong"}}), clock), TokenErrorKind::kBadSignature);
  EXPECT_EQ(check("abc", keys({{"k", "right"}}), clock), TokenErrorKind::kMalformed);
  EXPECT_EQ(check("a.b.c.d", keys({{"k", "right"}}), clock), TokenErrorKind::kMalformed);
  EXPECT_EQ(check("!!.!!.!!", keys({{"k", "right"}}), clock), TokenErrorKind::kMalformed);
  // Expiry: valid until exp + 60 s leeway, expired after.
  ShiftedClock late_ok(clock, std::chrono::seconds(600 + 59));
  EXPECT_TRUE(verify_token(tok, keys({{"k", "right"}}), late_ok));
  ShiftedClock late(clock, std::chrono::seconds(600 + 61));
  EXPECT_EQ(check(tok, keys({{"k", "right"}}), late), TokenErrorKind::kExpired);
  // Not before: a verifier whose clock is behind by more than the leeway.
  ShiftedClock early_ok(clock, std::chrono::seconds(-59));
  EXPECT_TRUE(verify_token(tok, keys({{"k", "right"}}), early_ok));
  ShiftedClock early(clock, std::chrono::seconds(-61));
  EXPECT_EQ(check(tok, keys({{"k", "right"}}), early), TokenErrorKind::kNotYetValid);
  auto r = verify_token(tok, keys({{"k", "right"}}), late);
  EXPECT_NE(r.error().message.find("leeway 60s"), std::string::npos) << r.error().message;
}

TEST(AccessToken, RejectsTamperingAndAlgorithmSwaps) {
  ManualClock clock;
  TokenClaims c;
  c.identity = "a";
  c.video = VideoGrant{};
  auto tok = *mint_token(c, "k", "secret", std::chrono::seconds(600), clock);
  auto lookup = keys({{"k", "secret"}});
  // Change the payload but keep the old signature.
  json p = payload_of(tok);
  p["video"]["roomAdmin"] = true;
  auto first = tok.find('.'), last = tok.rfind('.');
  std::string tampered = tok.substr(0, first) + "." + base64url_encode(p.dump()) + tok.substr(last);
  EXPECT_EQ(token_error_kind(verify_token(tampered, lookup, clock).error()), TokenErrorKind::kBadSignature);
  // Flip one signature character.
  std::string flipped = tok;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_token(flipped, lookup, clock));
  // alg none with an empty signature.
  std::string none = base64url_encode(R"({"alg":"none"})") + "." + tok.substr(first + 1, last - first - 1) + ".";
  auto r = verify_token(none, lookup, clock);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not HS256"), std::string::npos);
  // A token without exp is refused even when correctly signed (LiveKit requires exp).
  json no_exp = payload_of(tok);
  no_exp.erase("exp");
  r = verify_token(resign(tok, no_exp, "secret"), lookup, clock);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("exp"), std::string::npos);
  // Wrong claim types are malformed, not crashes.
  json bad = payload_of(tok);
  bad["video"] = {{"roomJoin", "yes"}};
  r = verify_token(resign(tok, bad, "secret"), lookup, clock);
  ASSERT_FALSE(r);
  EXPECT_EQ(token_error_kind(r.error()), TokenErrorKind::kMalformed);
  EXPECT_NE(r.error().message.find("roomJoin"), std::string::npos);
}

TEST(AccessToken, AcceptsFractionalTimesAndJtiIdentity) {
  ManualClock clock;
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(clock.wall().time_since_epoch()).count();
  json p = {{"iss", "k"}, {"jti", "from-jti"}, {"exp", double(now) + 30.5}, {"nbf", double(now) - 0.25},
            {"sip", {{"admin", false}, {"call", true}}}};
  std::string head = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  std::string input = head + "." + base64url_encode(p.dump());
  std::string jwt = input + "." + base64url_encode(hmac_sha256("s", input));
  auto r = verify_token(jwt, keys({{"k", "s"}}), clock);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->identity, "from-jti");
  EXPECT_TRUE(r->sip && r->sip->call && !r->sip->admin);
}

}  // namespace
}  // namespace parley::livekit

namespace parley::livekit {
namespace {

// Every join and refresh mints a token. Logging them must neither show them nor grow what the
// log keeps: they are redacted by their shape, not registered one by one.
TEST(TokenRedaction, TenThousandJoinTokensAreRedactedAndTheListStaysBounded) {
  std::vector<std::string> lines;
  log::set_sink([&](std::string_view l) { lines.emplace_back(l); });
  log::add_secret("a-configured-secret-of-32-characters!");
  const size_t registered = log::secret_count();
  for (int i = 0; i < 10'000; ++i) {
    TokenClaims claims;
    claims.identity = "caller-" + std::to_string(i);
    claims.video = VideoGrant{};
    claims.video->room_join = true;
    claims.video->room = "room-" + std::to_string(i);
    auto token = mint_token(claims, "devkey", "a-configured-secret-of-32-characters!", std::chrono::minutes(10));
    ASSERT_TRUE(token);
    log::root().info("joining", {{"url", "ws://h/rtc?access_token=" + *token + "&auto_subscribe=1"}});
    ASSERT_EQ(lines.back().find(*token), std::string::npos) << lines.back();
    ASSERT_EQ(lines.back().find(token->substr(0, token->find('.'))), std::string::npos) << lines.back();
    ASSERT_NE(lines.back().find("access_token=[redacted]&auto_subscribe=1"), std::string::npos) << lines.back();
  }
  EXPECT_EQ(log::secret_count(), registered);
  log::set_sink(nullptr);
  log::clear_secrets();
}

}  // namespace
}  // namespace parley::livekit
