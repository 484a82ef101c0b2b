// The console's token check and its refusal of other origins.
#include "console/operator_auth.h"

#include <gtest/gtest.h>

#include "console/security_headers.h"
#include "livekit/auth/encoding.h"

namespace parley::console {
namespace {

const std::string kToken = "0123456789abcdef0123";

std::string basic(const std::string& user, const std::string& password) {
  return "Basic " + livekit::base64_encode(user + ":" + password);
}

TEST(OperatorAuth, BearerTokenMatches) {
  EXPECT_TRUE(operator_authorized("Bearer " + kToken, kToken));
  EXPECT_TRUE(operator_authorized("bearer " + kToken, kToken));
}

TEST(OperatorAuth, BasicAuthPasswordMatchesWhateverTheUser) {
  EXPECT_TRUE(operator_authorized(basic("operator", kToken), kToken));
  EXPECT_TRUE(operator_authorized(basic("", kToken), kToken));
}

TEST(OperatorAuth, WrongMissingOrMalformedIsRefused) {
  EXPECT_FALSE(operator_authorized("", kToken));
  EXPECT_FALSE(operator_authorized("Bearer", kToken));
  EXPECT_FALSE(operator_authorized("Bearer " + kToken + "x", kToken));
  EXPECT_FALSE(operator_authorized("Bearer " + kToken.substr(1), kToken));
  EXPECT_FALSE(operator_authorized(kToken, kToken));  // no scheme
  EXPECT_FALSE(operator_authorized(basic(kToken, "wrong"), kToken));  // the token as user name is not the password
  EXPECT_FALSE(operator_authorized("Basic " + livekit::base64_encode(kToken), kToken));  // no colon
  EXPECT_FALSE(operator_authorized("Basic !!!notbase64", kToken));
  EXPECT_FALSE(operator_authorized("Digest " + kToken, kToken));
}

TEST(OperatorAuth, AnEmptyTokenNeverMatches) {
  EXPECT_FALSE(operator_authorized("Bearer ", ""));
  EXPECT_FALSE(operator_authorized(basic("a", ""), ""));
}

service::HttpRequest request(std::initializer_list<std::pair<std::string, std::string>> headers) {
  service::HttpRequest r{boost::beast::http::verb::get, "/api/calls", 11};
  r.set(boost::beast::http::field::host, "127.0.0.1:8090");
  for (const auto& [k, v] : headers) r.set(k, v);
  return r;
}

TEST(SameOrigin, RequestsWithoutBrowserMarksAndSameOriginOnesPass) {
  EXPECT_TRUE(same_origin(request({})));
  EXPECT_TRUE(same_origin(request({{"Origin", "http://127.0.0.1:8090"}})));
  EXPECT_TRUE(same_origin(request({{"Sec-Fetch-Site", "same-origin"}})));
  EXPECT_TRUE(same_origin(request({{"Sec-Fetch-Site", "none"}})));  // typed into the address bar
}

TEST(SameOrigin, OtherOriginsAndSitesAreRefused) {
  EXPECT_FALSE(same_origin(request({{"Origin", "http://evil.example"}})));
  EXPECT_FALSE(same_origin(request({{"Origin", "http://127.0.0.1:8091"}})));
  EXPECT_FALSE(same_origin(request({{"Origin", "null"}})));
  EXPECT_FALSE(same_origin(request({{"Sec-Fetch-Site", "cross-site"}})));
  EXPECT_FALSE(same_origin(request({{"Sec-Fetch-Site", "same-site"}})));
}

TEST(SecurityHeaders, StrictPolicyOnEveryAnswer) {
  service::HttpResponse res{boost::beast::http::status::ok, 11};
  add_security_headers(res, "ws://127.0.0.1:7880 http://127.0.0.1:7880");
  std::string csp(res["Content-Security-Policy"]);
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self' ws://127.0.0.1:7880 http://127.0.0.1:7880;"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(res["X-Frame-Options"], "DENY");
  EXPECT_EQ(res["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(res[boost::beast::http::field::cache_control], "no-store");
  EXPECT_TRUE(res[boost::beast::http::field::access_control_allow_origin].empty());
}

}  // namespace
}  // namespace parley::console
