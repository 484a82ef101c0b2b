// The console's listener on real loopback sockets: nothing without the token (a bare 401, the
// same for every path), cross-origin refusals, the security headers, the page's files and
// nothing else, the JSON, the playground's room-bound token, and the event stream.
#include "console/console_server.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "livekit/auth/access_token.h"
#include "livekit/auth/encoding.h"

namespace parley::console {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using nlohmann::json;

const std::string kToken = "console-test-token-0123456789";

struct Reply {
  unsigned status = 0;
  http::fields headers;
  std::string body;
};

Reply fetch(uint16_t port, http::verb method, const std::string& target,
            std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Bearer " + kToken}}) {
  asio::io_context io;
  beast::tcp_stream s(io);
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [k, v] : headers) req.set(k, v);
  req.prepare_payload();
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  s.expires_after(std::chrono::seconds(5));
  http::read(s, buf, res);
  Reply r;
  r.status = res.result_int();
  for (const auto& f : res) r.headers.set(f.name_string(), f.value());
  r.body = res.body();
  return r;
}

class ConsoleServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("console-assets-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "index.html") << "<!doctype html><title>parley</title>";
    std::ofstream(dir_ / "app.js") << "console.log(1)";
    auto assets = ConsoleAssets::load(dir_.string());
    ASSERT_TRUE(assets) << assets.error().message;
    Config c;
    c.livekit.url = "ws://127.0.0.1:7880";
    c.livekit.api_key = "devkey";
    c.livekit.api_secret = "secret";
    c.console.enabled = true;
    c.console.listen = "127.0.0.1:0";
    c.console.token = kToken;
    configure(c);
    board_ = std::make_shared<CallBoard>(CallBoardOptions{});
    loop_ = std::make_unique<AsioLoop>("console-test");
    server_ = std::make_unique<ConsoleServer>(
        *loop_, std::make_shared<service::ConfigSnapshot>(std::make_shared<const Config>(c)), board_, std::move(*assets));
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
  }
  virtual void configure(Config&) {}
  void TearDown() override {
    server_.reset();
    loop_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::shared_ptr<CallBoard> board_;
  std::unique_ptr<AsioLoop> loop_;
  std::unique_ptr<ConsoleServer> server_;
  uint16_t port_ = 0;
};

TEST_F(ConsoleServerTest, WithoutTheTokenEveryPathIsTheSameBare401) {
  board_->begin("SCL_secret_call", "secret-room", "+1555***4567");
  std::string first;
  for (const char* target : {"/", "/api/calls", "/api/calls/c1", "/api/events", "/assets/app.js", "/nothing-here"}) {
    for (const auto& auth : std::vector<std::vector<std::pair<std::string, std::string>>>{
             {}, {{"Authorization", "Bearer wrong"}}, {{"Authorization", "Bearer " + kToken.substr(1)}},
             {{"Authorization", "Basic " + livekit::base64_encode("operator:wrong")}}}) {
      auto r = fetch(port_, http::verb::get, target, auth);
      EXPECT_EQ(r.status, 401u) << target;
      EXPECT_EQ(r.body, "unauthorized\n") << target;
      EXPECT_EQ(r.headers[http::field::www_authenticate], "Basic realm=\"parley console\", charset=\"UTF-8\"");
      EXPECT_FALSE(r.headers["Content-Security-Policy"].empty());
    }
  }
  auto r = fetch(port_, http::verb::post, "/api/playground", {});
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.body.find("token"), std::string::npos);
}

TEST_F(ConsoleServerTest, TheTokenOpensThePageAndTheApiWithSecurityHeaders) {
  auto page = fetch(port_, http::verb::get, "/");
  EXPECT_EQ(page.status, 200u);
  EXPECT_EQ(page.body, "<!doctype html><title>parley</title>");
  EXPECT_EQ(page.headers[http::field::content_type], "text/html; charset=utf-8");
  std::string csp(page.headers["Content-Security-Policy"]);
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self' ws://127.0.0.1:7880 http://127.0.0.1:7880;"), std::string::npos);
  EXPECT_EQ(page.headers["X-Frame-Options"], "DENY");
  EXPECT_EQ(page.headers["X-Content-Type-Options"], "nosniff");
  auto basic = fetch(port_, http::verb::get, "/assets/app.js",
                     {{"Authorization", "Basic " + livekit::base64_encode("anyone:" + kToken)}});
  EXPECT_EQ(basic.status, 200u);
  EXPECT_EQ(basic.headers[http::field::content_type], "text/javascript; charset=utf-8");
  // Only the files loaded at start, by name: no path reaches the file system.
  EXPECT_EQ(fetch(port_, http::verb::get, "/assets/../index.html").status, 404u);
  EXPECT_EQ(fetch(port_, http::verb::get, "/assets/%2e%2e/index.html").status, 404u);
  EXPECT_EQ(fetch(port_, http::verb::get, "/assets/nothing.js").status, 404u);
  EXPECT_EQ(fetch(port_, http::verb::delete_, "/api/calls").status, 405u);

  auto id = board_->begin("SCL_1", "room-1", "+1555***4567");
  auto calls = fetch(port_, http::verb::get, "/api/calls");
  ASSERT_EQ(calls.status, 200u);
  auto list = json::parse(calls.body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["caller"], "+1555***4567");
  auto one = fetch(port_, http::verb::get, "/api/calls/" + id);
  EXPECT_EQ(one.status, 200u);
  EXPECT_EQ(json::parse(one.body)["room"], "room-1");
  EXPECT_EQ(fetch(port_, http::verb::get, "/api/calls/nope").status, 404u);
  EXPECT_EQ(json::parse(fetch(port_, http::verb::get, "/api/history").body).size(), 60u);
}

TEST_F(ConsoleServerTest, CrossOriginRequestsAreRefusedEvenWithTheToken) {
  auto auth = std::make_pair(std::string("Authorization"), "Bearer " + kToken);
  auto r = fetch(port_, http::verb::post, "/api/playground", {auth, {"Origin", "http://evil.example"}});
  EXPECT_EQ(r.status, 403u);
  EXPECT_TRUE(r.headers[http::field::access_control_allow_origin].empty());
  EXPECT_EQ(fetch(port_, http::verb::get, "/api/calls", {auth, {"Sec-Fetch-Site", "cross-site"}}).status, 403u);
  EXPECT_EQ(fetch(port_, http::verb::get, "/api/events", {auth, {"Origin", "http://evil.example"}}).status, 403u);
  EXPECT_EQ(fetch(port_, http::verb::options, "/api/calls", {{"Origin", "http://evil.example"}}).status, 403u);
  auto same = fetch(port_, http::verb::get, "/api/calls", {auth, {"Origin", "http://127.0.0.1:" + std::to_string(port_)}});
  EXPECT_EQ(same.status, 200u);
}

TEST_F(ConsoleServerTest, ThePlaygroundTokenJoinsOneFreshRoomOnly) {
  auto auth = std::make_pair(std::string("Authorization"), "Bearer " + kToken);
  EXPECT_EQ(fetch(port_, http::verb::get, "/api/playground", {auth}).status, 405u);
  auto r = fetch(port_, http::verb::post, "/api/playground", {auth});
  ASSERT_EQ(r.status, 200u) << r.body;
  auto t = json::parse(r.body);
  EXPECT_EQ(t["url"], "ws://127.0.0.1:7880");
  std::string room = t["room"];
  EXPECT_EQ(room.rfind(kPlaygroundRoomPrefix, 0), 0u);
  auto claims = livekit::verify_token(t["token"].get<std::string>(), [](std::string_view key) -> std::optional<std::string> {
    if (key == "devkey") return std::string("secret");
    return std::nullopt;
  });
  ASSERT_TRUE(claims) << claims.error().message;
  ASSERT_TRUE(claims->video);
  EXPECT_TRUE(claims->video->room_join);
  EXPECT_EQ(claims->video->room, room);
  EXPECT_FALSE(claims->video->room_admin);
  EXPECT_FALSE(claims->video->room_create);
  EXPECT_FALSE(claims->video->room_list);
  EXPECT_EQ(claims->video->can_publish_sources, std::vector<std::string>{"microphone"});
  EXPECT_EQ(claims->identity, t["identity"]);
  EXPECT_LE(claims->expires_at - claims->issued_at, std::chrono::minutes(15));
  // Each ticket is a room of its own.
  auto again = json::parse(fetch(port_, http::verb::post, "/api/playground", {auth}).body);
  EXPECT_NE(again["room"], t["room"]);
}

class ConsolePlaygroundLimitTest : public ConsoleServerTest {
 protected:
  void configure(Config& c) override { c.console.playground_rooms = 2; }
};

// Past console.playground_rooms the playground answers 429 with Retry-After and says which limit;
// a room whose call has ended on the board no longer counts.
TEST_F(ConsolePlaygroundLimitTest, PastTheRoomLimitTheAnswerIs429UntilARoomEnds) {
  auto first = fetch(port_, http::verb::post, "/api/playground");
  ASSERT_EQ(first.status, 200u) << first.body;
  ASSERT_EQ(fetch(port_, http::verb::post, "/api/playground").status, 200u);
  auto refused = fetch(port_, http::verb::post, "/api/playground");
  EXPECT_EQ(refused.status, 429u);
  EXPECT_NE(refused.body.find("console.playground_rooms"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.body.find("token"), std::string::npos) << refused.body;  // no ticket in it
  EXPECT_EQ(refused.headers[http::field::retry_after], "5");
  EXPECT_NE(refused.headers["Content-Security-Policy"], "");  // still the security headers
  // The first room's browser joined and its call went live, then ended: one room is open.
  const std::string room = json::parse(first.body)["room"];
  auto id = board_->begin("SCL_pg", room, "playground");
  EXPECT_EQ(fetch(port_, http::verb::post, "/api/playground").status, 429u);  // live: still two
  board_->end(id, "caller_left");
  EXPECT_EQ(fetch(port_, http::verb::post, "/api/playground").status, 200u);
}

// Reads from a raw socket until `want` is in what was read, or the deadline.
bool read_until_has(asio::ip::tcp::socket& s, std::string& got, const std::string& want, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  s.non_blocking(true);
  while (got.find(want) == std::string::npos) {
    if (std::chrono::steady_clock::now() > end) return false;
    char buf[4096];
    boost::system::error_code ec;
    auto n = s.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (ec) return false;
    got.append(buf, n);
  }
  return true;
}

TEST_F(ConsoleServerTest, TheEventStreamSendsTheSnapshotThenChangesAsTheyHappen) {
  auto first = board_->begin("SCL_0", "room-0", "alice");
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  std::string req = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer " +
                    kToken + "\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::string got;
  ASSERT_TRUE(read_until_has(s, got, "event: snapshot", std::chrono::seconds(5))) << got;
  ASSERT_TRUE(read_until_has(s, got, "\n\n", std::chrono::seconds(5)));
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Content-Type: text/event-stream; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(got.find("Content-Security-Policy: "), std::string::npos);
  EXPECT_EQ(got.find("Content-Length"), std::string::npos);
  EXPECT_NE(got.find("\"id\":\"" + first + "\""), std::string::npos);
  EXPECT_EQ(board_->viewers(), 1u);

  auto id = board_->begin("SCL_1", "room-live", "bob");
  board_->agent_text(id, "SG_1", "We open at nine.", false);
  ASSERT_TRUE(read_until_has(s, got, "We open at nine.", std::chrono::seconds(5))) << got;
  EXPECT_NE(got.find("event: call\n"), std::string::npos);
  EXPECT_NE(got.find("\"room\":\"room-live\""), std::string::npos);

  // The viewer leaves: the board forgets it at its next change.
  s.close();
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (board_->viewers() > 0 && std::chrono::steady_clock::now() < end) {
    board_->heartbeat();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(board_->viewers(), 0u);
}

TEST_F(ConsoleServerTest, AViewerThatStopsReadingIsCutNotBufferedWithoutEnd) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.open(asio::ip::tcp::v4());
  s.set_option(asio::socket_base::receive_buffer_size(4096));
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  std::string req = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + kToken + "\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::string got;
  ASSERT_TRUE(read_until_has(s, got, "event: snapshot", std::chrono::seconds(5)));
  // Never read again; the board keeps changing with a lot of words.
  auto id = board_->begin("SCL_1", "room", "x");
  std::string words(8000, 'w');
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int i = 0;
  while (board_->viewers() > 0 && std::chrono::steady_clock::now() < end) {
    board_->user_text(id, "SG_" + std::to_string(i++), words, true);
    if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(board_->viewers(), 0u) << "after " << i << " lines";
  // At most the backlog limit (1 MiB) plus what the kernel buffers was sent before the cut.
  EXPECT_LT(static_cast<size_t>(i) * words.size(), 64u << 20);
}

}  // namespace
}  // namespace parley::console
