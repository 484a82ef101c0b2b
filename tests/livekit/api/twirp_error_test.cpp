#include "livekit/api/twirp_error.h"

#include <gtest/gtest.h>

#include "livekit/api/http_client.h"

namespace parley::livekit {
namespace {

bool has(const std::string& s, std::string_view needle) { return s.find(needle) != std::string::npos; }

TEST(TwirpError, ParsesJsonErrorsAndKeepsCodeAndMsg) {
  auto e = parse_twirp_error(404, R"({"code":"not_found","msg":"requested room does not exist","meta":{"a":"b"}})");
  EXPECT_FALSE(e.plain_text);
  EXPECT_EQ(e.code, "not_found");
  EXPECT_EQ(e.msg, "requested room does not exist");
  EXPECT_EQ(e.meta.at("a"), "b");
  Error err = explain_api_error(e, {"RoomService.DeleteRoom", "devkey", std::nullopt});
  EXPECT_EQ(err.code, ErrorCode::kNotFound);
  EXPECT_EQ(err.message, "RoomService.DeleteRoom: not_found: requested room does not exist");
}

TEST(TwirpError, AnythingElseIsPlainText) {
  for (std::string body : {"", "\x01\x02", "{\"code\":", "[1,2]", "{\"code\":5}", "404 page not found\n"}) {
    auto e = parse_twirp_error(404, body);
    EXPECT_TRUE(e.plain_text) << body;
    EXPECT_EQ(error_code_for(e), ErrorCode::kNotFound);
  }
  EXPECT_LE(parse_twirp_error(500, std::string(10000, 'x')).msg.size(), 500u);
}

TEST(TwirpError, UnknownKeyAndWrongSecretAreToldApart) {
  // The texts livekit-server v1.13.5 answers with (seen in the probe against the local stack).
  auto unknown = explain_api_error(parse_twirp_error(401, "invalid API key: nokey\n"), {"M", "nokey", std::nullopt});
  EXPECT_TRUE(has(unknown.message, "unknown API key nokey: the server's keys do not include it")) << unknown.message;
  auto secret = explain_api_error(
      parse_twirp_error(401, "invalid token: eyJ.eyJ.sig, error: token signature is invalid: signature is invalid"),
      {"M", "devkey", std::chrono::seconds(0)});
  EXPECT_TRUE(has(secret.message, "the secret for API key devkey does not match the server's")) << secret.message;
  EXPECT_FALSE(has(secret.message, "eyJ")) << "the rejected token must not be repeated";
  EXPECT_EQ(secret.code, ErrorCode::kUnauthenticated);
  EXPECT_FALSE(secret.retryable);
}

TEST(TwirpError, ClockSkewIsNamedFromTheDateHeader) {
  auto e = parse_twirp_error(401, "invalid token: x.y.z, error: token has invalid claims: token is not valid yet");
  auto skew = explain_api_error(e, {"M", "devkey", std::chrono::seconds(-300)});
  EXPECT_TRUE(has(skew.message, "300 s behind")) << skew.message;
  EXPECT_TRUE(has(skew.message, "NTP"));
  // Without a Date header the time claim still points at the clocks.
  auto no_date = explain_api_error(e, {"M", "devkey", std::nullopt});
  EXPECT_TRUE(has(no_date.message, "clocks")) << no_date.message;
}

TEST(TwirpError, SipWithoutRedisSaysRedisAddress) {
  auto e = parse_twirp_error(500, R"j({"code":"internal","msg":"twirp error unknown: sip not connected (redis required)"})j");
  EXPECT_TRUE(is_sip_not_connected(e));
  auto err = explain_api_error(e, {"SIP.ListSIPInboundTrunk", "devkey", std::nullopt});
  EXPECT_TRUE(has(err.message, "redis.address")) << err.message;
}

TEST(TwirpError, PermissionDeniedNamesTheMissingGrant) {
  auto err = explain_api_error(parse_twirp_error(401, R"({"code":"unauthenticated","msg":"permissions denied"})"),
                               {"RoomService.CreateRoom", "devkey", std::nullopt});
  EXPECT_TRUE(has(err.message, "lacks the grant")) << err.message;
}

TEST(HttpDate, ParsesImfFixdate) {
  auto t = parse_http_date("Wed, 25 Nov 2026 06:52:55 GMT");
  ASSERT_TRUE(t);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*t), 1795589575);
  EXPECT_FALSE(parse_http_date("yesterday"));
  EXPECT_FALSE(parse_http_date(""));
}

}  // namespace
}  // namespace parley::livekit
