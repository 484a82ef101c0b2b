#include "core/url.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(Url, ParsesAndMapsLiveKitSchemes) {
  auto u = parse_url("wss://example.livekit.cloud");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "example.livekit.cloud");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->as_http().to_string(), "https://example.livekit.cloud:443/");
  auto h = parse_url("http://127.0.0.1:7880/twirp");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->as_websocket().to_string(), "ws://127.0.0.1:7880/twirp");
  auto v6 = parse_url("ws://[::1]:7880");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->authority(), "[::1]:7880");
}

TEST(Url, ErrorsSayWhatIsWrong) {
  EXPECT_NE(parse_url("127.0.0.1:7880").error().message.find("no scheme"), std::string::npos);
  EXPECT_NE(parse_url("ws://:7880").error().message.find("no host"), std::string::npos);
  EXPECT_NE(parse_url("ws://host:99999").error().message.find("not a port"), std::string::npos);
  EXPECT_FALSE(parse_url("ws://user:pw@host"));
  EXPECT_FALSE(parse_url("ws://[::1"));
}

}  // namespace
}  // namespace parley

namespace parley {
namespace {

TEST(Url, PlaintextToARemoteHostIsToldApartFromLoopbackAndTls) {
  auto remote = [](const char* u) { return parse_url(u)->plaintext_remote(); };
  EXPECT_TRUE(remote("ws://livekit.example.com:7880"));
  EXPECT_TRUE(remote("http://10.0.0.5:7880"));
  EXPECT_FALSE(remote("ws://127.0.0.1:7880"));
  EXPECT_FALSE(remote("http://localhost:7880"));
  EXPECT_FALSE(remote("ws://[::1]:7880"));
  EXPECT_FALSE(remote("wss://livekit.example.com"));
  EXPECT_FALSE(remote("https://10.0.0.5"));
}

}  // namespace
}  // namespace parley
