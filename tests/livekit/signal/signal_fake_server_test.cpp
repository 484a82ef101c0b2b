// SignalClient against a scripted WebSocket server on loopback: hostile and broken servers
// (garbage frames, text frames, wrong first message, silence, HTTP refusals) give clear errors
// and never a crash.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "core/asio_loop.h"
#include "livekit/signal/signal_client.h"

namespace parley::livekit {
namespace {

namespace lk = ::livekit;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

using WsScript = std::function<void(ws::stream<tcp::socket>&)>;
using HttpScript = std::function<void(tcp::socket&)>;

// Accepts one connection on an ephemeral loopback port and runs a script on it.
class FakeServer {
 public:
  explicit FakeServer(WsScript script) : FakeServer(HttpScript{}, std::move(script)) {}
  explicit FakeServer(HttpScript http_script, WsScript script = {})
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, http_script, script] {
      try {
        tcp::socket sock(io_);
        acceptor_.accept(sock);
        if (http_script) return http_script(sock);
        ws::stream<tcp::socket> stream(std::move(sock));
        stream.accept();
        stream.binary(true);
        script(stream);
      } catch (const std::exception&) {
        // the client went away; the test judges by what the client reported
      }
    });
  }
  ~FakeServer() {
    beast::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
};

std::string join_frame(int ping_interval = 5, int ping_timeout = 15) {
  lk::SignalResponse m;
  m.mutable_join()->mutable_participant()->set_sid("PA_fake");
  m.mutable_join()->mutable_participant()->set_identity("me");
  m.mutable_join()->set_ping_interval(ping_interval);
  m.mutable_join()->set_ping_timeout(ping_timeout);
  return m.SerializeAsString();
}

// Reads until the client goes away, so the server stays silent but alive.
void drain(ws::stream<tcp::socket>& s) {
  beast::flat_buffer b;
  for (;;) {
    s.read(b);
    b.consume(b.size());
  }
}

struct Outcome : SignalHandler {
  std::mutex m;
  std::condition_variable cv;
  std::optional<Status> connected;
  std::optional<Error> lost;
  int joins = 0;
  void on_join(const lk::JoinResponse&) override {
    std::lock_guard l(m);
    ++joins;
  }
};

class SignalFakeServerTest : public ::testing::Test {
 protected:
  void connect(const std::string& url, std::chrono::milliseconds timeout = 5s) {
    loop.post([this, url, timeout] {
      client = SignalClient::create(loop);
      SignalConnectOptions o;
      o.url = url;
      o.token = "header.payload.signature";
      o.timeout = timeout;
      client->connect(
          o, &out,
          [this](Status s) {
            std::lock_guard l(out.m);
            out.connected = s;
            out.cv.notify_all();
          },
          [this](Error e) {
            std::lock_guard l(out.m);
            out.lost = e;
            out.cv.notify_all();
          });
    });
  }
  Status wait_connected() {
    std::unique_lock l(out.m);
    if (!out.cv.wait_for(l, 10s, [&] { return out.connected.has_value(); })) {
      return make_error(ErrorCode::kTimeout, "test: no connect result");
    }
    return *out.connected;
  }
  std::optional<Error> wait_lost(std::chrono::milliseconds d = 10s) {
    std::unique_lock l(out.m);
    out.cv.wait_for(l, d, [&] { return out.lost.has_value(); });
    return out.lost;
  }
  void TearDown() override {
    std::promise<void> done;
    loop.post([&] {
      if (client) client->abort();
      client.reset();
      done.set_value();
    });
    done.get_future().wait();
  }

  AsioLoop loop{"fake-signal"};
  Outcome out;
  std::shared_ptr<SignalClient> client;
};

TEST_F(SignalFakeServerTest, GarbageAfterJoinEndsTheConnectionWithAProtocolError) {
  FakeServer server([](ws::stream<tcp::socket>& s) {
    s.write(asio::buffer(join_frame()));
    const char garbage[] = "\x0a\xff\xff\xff\xff\x0f\x00garbage";
    s.write(asio::buffer(garbage, sizeof garbage));
    drain(s);
  });
  connect(server.url());
  ASSERT_TRUE(wait_connected());
  auto lost = wait_lost();
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->code, ErrorCode::kProtocol) << lost->to_string();
  std::lock_guard l(out.m);
  EXPECT_EQ(out.joins, 1);
}

TEST_F(SignalFakeServerTest, ATextFrameIsRefused) {
  FakeServer server([](ws::stream<tcp::socket>& s) {
    s.text(true);
    s.write(asio::buffer(std::string(R"({"join":{}})")));
    drain(s);
  });
  connect(server.url());
  auto s = wait_connected();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kProtocol);
}

TEST_F(SignalFakeServerTest, AFirstMessageOtherThanJoinIsRefused) {
  FakeServer server([](ws::stream<tcp::socket>& s) {
    lk::SignalResponse m;
    m.set_refresh_token("a.b.c");
    s.write(asio::buffer(m.SerializeAsString()));
    drain(s);
  });
  connect(server.url());
  auto s = wait_connected();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kProtocol);
  EXPECT_NE(s.error().message.find("refresh_token"), std::string::npos) << s.error().message;
}

TEST_F(SignalFakeServerTest, NoJoinWithinTheTimeoutIsATimeout) {
  FakeServer server([](ws::stream<tcp::socket>& s) { drain(s); });
  connect(server.url(), 500ms);
  auto s = wait_connected();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kTimeout);
  EXPECT_TRUE(s.error().retryable);
}

TEST_F(SignalFakeServerTest, ASilentServerIsDeclaredDeadAfterThePingTimeout) {
  std::atomic<int> pings{0};
  FakeServer server([&pings](ws::stream<tcp::socket>& s) {
    s.write(asio::buffer(join_frame(1, 2)));
    beast::flat_buffer b;
    for (;;) {
      s.read(b);
      lk::SignalRequest req;
      if (req.ParseFromString(beast::buffers_to_string(b.data())) && req.has_ping_req()) ++pings;
      b.consume(b.size());
    }
  });
  auto start = std::chrono::steady_clock::now();
  connect(server.url());
  ASSERT_TRUE(wait_connected());
  auto lost = wait_lost();
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->code, ErrorCode::kTimeout) << lost->to_string();
  EXPECT_GE(took, 1900ms);
  EXPECT_LT(took, 4s);
  EXPECT_GE(pings.load(), 2);  // one at join, one per second after
}

TEST_F(SignalFakeServerTest, AnHttpRefusalCarriesTheStatusAndReason) {
  FakeServer server(HttpScript([](tcp::socket& sock) {
    beast::flat_buffer b;
    http::request<http::string_body> req;
    http::read(sock, b, req);
    http::response<http::string_body> res{http::status::service_unavailable, 11};
    res.set(http::field::content_type, "text/plain");
    res.body() = "too many participants\n";
    res.prepare_payload();
    http::write(sock, res);
  }));
  connect(server.url());
  auto s = wait_connected();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable) << s.error().to_string();
  EXPECT_TRUE(s.error().retryable);
  EXPECT_NE(s.error().message.find("HTTP 503 \"too many participants\""), std::string::npos) << s.error().message;
}

TEST_F(SignalFakeServerTest, AServerCloseIsReportedAsLost) {
  FakeServer server([](ws::stream<tcp::socket>& s) {
    s.write(asio::buffer(join_frame()));
    s.close(ws::close_reason(ws::close_code::going_away, "bye"));
    drain(s);
  });
  connect(server.url());
  ASSERT_TRUE(wait_connected());
  auto lost = wait_lost();
  ASSERT_TRUE(lost);
  EXPECT_EQ(lost->code, ErrorCode::kUnavailable);
  EXPECT_NE(lost->message.find("1001"), std::string::npos) << lost->message;
}

}  // namespace
}  // namespace parley::livekit
