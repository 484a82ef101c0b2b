// TwirpClient against a scripted loopback HTTP server: which answers are retried, Retry-After,
// keep-alive reuse, and the token each request carries.
#include <utility>
#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "core/metrics.h"
#include "livekit/api/room_service_client.h"
#include "livekit/api/sip_client.h"
#include "livekit/api/twirp_client.h"

namespace parley::livekit {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct Scripted {
  int status;
  std::string body;
  std::map<std::string, std::string> headers;
  int delay_ms = 0;  // answer only after this long (a hung server)
};

// Answers each request with the next scripted response (the last one repeats).
class ScriptServer {
 public:
  explicit ScriptServer(std::deque<Scripted> script) : script_(std::move(script)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptServer() {
    stop_ = true;
    boost::system::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  int requests() const { return requests_; }
  int connections() const { return connections_; }
  std::string last_authorization() {
    std::lock_guard lock(mutex_);
    return last_auth_;
  }
  std::string last_target() {
    std::lock_guard lock(mutex_);
    return last_target_;
  }

 private:
  void serve() {
    while (!stop_) {
      tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) return;
      ++connections_;
      boost::beast::flat_buffer buf;
      for (;;) {
        http::request<http::string_body> req;
        http::read(sock, buf, req, ec);
        if (ec) break;
        ++requests_;
        Scripted s;
        {
          std::lock_guard lock(mutex_);
          last_auth_ = std::string(req[http::field::authorization]);
          last_target_ = std::string(req.target());
          s = script_.front();
          if (script_.size() > 1) script_.pop_front();
        }
        if (s.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(s.delay_ms));
        http::response<http::string_body> res{http::int_to_status(unsigned(s.status)), 11};
        res.body() = s.body;
        for (const auto& [k, v] : s.headers) res.set(k, v);
        res.keep_alive(true);
        res.prepare_payload();
        http::write(sock, res, ec);
        if (ec) break;
      }
    }
  }

  std::deque<Scripted> script_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0}, connections_{0};
  std::mutex mutex_;
  std::string last_auth_, last_target_;
};

std::unique_ptr<TwirpClient> client_for(const ScriptServer& s, int attempts = 3) {
  ApiOptions o;
  o.url = s.url();
  o.api_key = "devkey";
  o.api_secret = "secret";
  o.retry_attempts = attempts;
  o.backoff_base = Millis(10);
  o.backoff_cap = Millis(50);
  o.request_timeout = std::chrono::milliseconds(2000);
  return std::move(*TwirpClient::create(o));
}

const std::string kRooms = R"({"rooms":[{"sid":"RM_1","name":"a","num_participants":"2","creation_time":"1700000000"}]})";

TEST(TwirpClientRetry, RetriesServerErrorsThenSucceeds) {
  ScriptServer server({{503, "busy", {}}, {500, R"({"code":"internal","msg":"x"})", {}}, {200, kRooms, {}}});
  auto c = client_for(server);
  RoomServiceClient rooms(*c);
  auto r = rooms.list_rooms();
  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].name, "a");
  EXPECT_EQ((*r)[0].num_participants, 2u);
  EXPECT_EQ((*r)[0].creation_time, 1700000000);
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(server.last_target(), "/twirp/livekit.RoomService/ListRooms");
  // Keep-alive: every attempt went over one connection.
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(c->http().connections_opened(), 1);
}

TEST(TwirpClientRetry, GivesUpAfterTheConfiguredAttempts) {
  ScriptServer server({{503, "busy", {}}});
  auto c = client_for(server, 4);
  auto r = RoomServiceClient(*c).list_rooms();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("after 4 attempts"), std::string::npos) << r.error().message;
  EXPECT_EQ(server.requests(), 4);
}

TEST(TwirpClientRetry, NeverRetriesClientErrors) {
  for (int status : {400, 401, 403, 404}) {
    ScriptServer server({{status, R"({"code":"invalid_argument","msg":"no"})", {}}, {200, kRooms, {}}});
    auto c = client_for(server);
    EXPECT_FALSE(RoomServiceClient(*c).list_rooms());
    EXPECT_EQ(server.requests(), 1) << status;
  }
}

TEST(TwirpClientRetry, SipWithoutRedisIsNotRetried) {
  ScriptServer server({{500, R"j({"code":"internal","msg":"twirp error unknown: sip not connected (redis required)"})j", {}}});
  auto c = client_for(server);
  auto r = SipClient(*c).list_inbound_trunks();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("redis.address"), std::string::npos);
  EXPECT_EQ(server.requests(), 1);
}

// TransferSIPParticipant is not idempotent: a second REFER would transfer the caller again.
TEST(TwirpClientRetry, TransferIsNotRetriedAfterAServerErrorOrATimeout) {
  {
    ScriptServer server({{503, "busy", {}}, {200, "{}", {}}});
    auto c = client_for(server);
    auto r = SipClient(*c).transfer_sip_participant("r1", "sip_1", "sip:op@127.0.0.1:5070");
    ASSERT_FALSE(r);
    EXPECT_EQ(server.requests(), 1);
  }
  {
    ScriptServer server({{200, "{}", {}, 2300}});  // answers after the client's 2 s timeout
    auto c = client_for(server);
    auto r = SipClient(*c).transfer_sip_participant("r1", "sip_1", "sip:op@127.0.0.1:5070");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
    EXPECT_FALSE(r.error().retryable);
    EXPECT_NE(r.error().message.find("not retried"), std::string::npos) << r.error().message;
    EXPECT_EQ(server.requests(), 1);
  }
  {
    // Rate limited: refused before it ran, so a retry is safe.
    ScriptServer server({{429, R"({"code":"resource_exhausted","msg":"slow down"})", {}}, {200, "{}", {}}});
    auto c = client_for(server);
    EXPECT_TRUE(SipClient(*c).transfer_sip_participant("r1", "sip_1", "sip:op@127.0.0.1:5070"));
    EXPECT_EQ(server.requests(), 2);
  }
  {
    // The same timeout on an idempotent method is retried.
    ScriptServer server({{200, kRooms, {}, 2300}, {200, kRooms, {}}});
    auto c = client_for(server);
    EXPECT_TRUE(RoomServiceClient(*c).list_rooms());
    EXPECT_EQ(server.requests(), 2);
  }
}

TEST(TwirpClientRetry, HonoursRetryAfter) {
  ScriptServer server({{429, R"({"code":"resource_exhausted","msg":"slow down"})", {{"Retry-After", "1"}}},
                       {200, kRooms, {}}});
  auto c = client_for(server);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RoomServiceClient(*c).list_rooms());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(950));
  EXPECT_EQ(server.requests(), 2);
}

TEST(TwirpClientRetry, EachRequestCarriesAFreshLeastGrantToken) {
  ScriptServer server({{200, R"({"sid":"RM_1","name":"r"})", {}}});
  auto c = client_for(server);
  CreateRoomOptions create;
  create.name = "r";
  ASSERT_TRUE(RoomServiceClient(*c).create_room(create));
  std::string auth = server.last_authorization();
  ASSERT_EQ(auth.rfind("Bearer ", 0), 0u);
  auto claims = verify_token(auth.substr(7), [](std::string_view k) -> std::optional<std::string> {
    if (k == "devkey") return "secret";
    return std::nullopt;
  });
  ASSERT_TRUE(claims) << claims.error().to_string();
  ASSERT_TRUE(claims->video);
  EXPECT_TRUE(claims->video->room_create);
  EXPECT_FALSE(claims->video->room_admin);
  EXPECT_FALSE(claims->video->room_join);
  EXPECT_FALSE(claims->sip);
  EXPECT_LE(claims->expires_at - claims->issued_at, std::chrono::minutes(10));
  ASSERT_TRUE(RoomServiceClient(*c).remove_participant("room-x", "bob"));
  claims = verify_token(server.last_authorization().substr(7), [](std::string_view) { return std::optional<std::string>("secret"); });
  ASSERT_TRUE(claims);
  EXPECT_TRUE(claims->video->room_admin);
  EXPECT_EQ(claims->video->room, "room-x");
}

TEST(TwirpClientRetry, CountsCallsInMetrics) {
  ScriptServer server({{404, R"({"code":"not_found","msg":"gone"})", {}}});
  auto c = client_for(server);
  auto& counter = metrics::registry()
                      .counter("parley_livekit_api_calls_total", "", {"method", "result"})
                      .with({"RoomService.DeleteRoom", "not_found"});
  double before = counter.value();
  EXPECT_FALSE(RoomServiceClient(*c).delete_room("x"));
  EXPECT_EQ(counter.value(), before + 1);
  EXPECT_NE(metrics::registry().render().find("parley_livekit_api_latency_seconds_bucket"), std::string::npos);
}

TEST(TwirpClientRetry, ConnectionRefusedIsRetriedAndExplained) {
  uint16_t port;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  ApiOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(port);
  o.api_key = "k";
  o.api_secret = "s";
  o.retry_attempts = 2;
  o.backoff_base = Millis(5);
  auto c = std::move(*TwirpClient::create(o));
  auto r = RoomServiceClient(*c).list_rooms();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("nothing listens on that port"), std::string::npos) << r.error().message;
}

TEST(TwirpClientRetry, RejectsBadOptions) {
  ApiOptions o;
  o.url = "ftp://x";
  o.api_key = "k";
  o.api_secret = "s";
  EXPECT_FALSE(TwirpClient::create(o));
  o.url = "ws://x";
  o.api_secret = "";
  EXPECT_FALSE(TwirpClient::create(o));
}

}  // namespace
}  // namespace parley::livekit
