#include <gtest/gtest.h>

#include "livekit/signal/signal_url.h"
#include "livekit/signal/ws_transport.h"

namespace parley::livekit {
namespace {

TEST(SignalUrl, JoinQueryCarriesTokenAndClientDescription) {
  SignalUrlOptions o;
  o.token = "a.b+c/d=";
  auto url = make_signal_url("http://127.0.0.1:7880", o);
  ASSERT_TRUE(url) << url.error().to_string();
  EXPECT_EQ(url->scheme, "ws");
  EXPECT_EQ(url->path,
            "/rtc?access_token=a.b%2Bc%2Fd%3D&auto_subscribe=1&sdk=cpp&version=0.1.0&protocol=17&client_protocol=0&os=linux");
}

TEST(SignalUrl, ResumeAddsReconnectSidAndReason) {
  SignalUrlOptions o;
  o.token = "t";
  o.auto_subscribe = false;
  o.resume_sid = "PA_abc";
  o.reconnect_reason = 1;
  auto url = make_signal_url("wss://example.livekit.cloud/prefix/", o);
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "wss");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path.rfind("/prefix/rtc?access_token=t&auto_subscribe=0&", 0), 0u) << url->path;
  EXPECT_NE(url->path.find("&reconnect=1&sid=PA_abc&reconnect_reason=1"), std::string::npos) << url->path;
}

TEST(SignalUrl, BadInputIsAClearError) {
  SignalUrlOptions o;
  o.token = "t";
  EXPECT_EQ(make_signal_url("127.0.0.1:7880", o).error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(make_signal_url("ftp://x", o).error().message.find("ws://"), std::string::npos);
  o.token.clear();
  EXPECT_NE(make_signal_url("ws://x", o).error().message.find("token"), std::string::npos);
}

TEST(HttpUpgradeError, MapsStatusAndKeepsTheServersReason) {
  auto e = http_upgrade_error(401, "invalid token: token is expired\n");
  EXPECT_EQ(e.code, ErrorCode::kUnauthenticated);
  EXPECT_NE(e.message.find("HTTP 401 \"invalid token: token is expired\""), std::string::npos) << e.message;
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(http_upgrade_error(404, "room not found").code, ErrorCode::kNotFound);
  EXPECT_EQ(http_upgrade_error(400, "").code, ErrorCode::kInvalidArgument);
  auto busy = http_upgrade_error(503, "too many participants");
  EXPECT_EQ(busy.code, ErrorCode::kUnavailable);
  EXPECT_TRUE(busy.retryable);
  EXPECT_LT(http_upgrade_error(401, std::string(5000, 'x')).message.size(), 500u);
  // The server echoes the token in its reason; it must not reach the message.
  auto echoed = http_upgrade_error(401, "invalid token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnX-_9, error: bad");
  EXPECT_EQ(echoed.message.find("eyJ"), std::string::npos) << echoed.message;
  EXPECT_NE(echoed.message.find("invalid token: [token], error: bad"), std::string::npos) << echoed.message;
}

}  // namespace
}  // namespace parley::livekit
