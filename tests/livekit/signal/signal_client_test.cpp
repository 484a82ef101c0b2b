// SignalClient against the real livekit-server of the local stack.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "core/asio_loop.h"
#include "livekit/api/room_service_client.h"
#include "livekit/api/twirp_client.h"
#include "livekit/signal/signal_client.h"
#include "livekit/test_token.h"

namespace parley::livekit {
namespace {

namespace lk = ::livekit;
using namespace std::chrono_literals;

std::string unique(const std::string& base) {
  static std::mt19937_64 rng{std::random_device{}()};
  return base + "-" + std::to_string(rng() % 1000000000);
}

// Records what the handler sees; tests wait on conditions with deadlines.
struct Events : SignalHandler {
  std::mutex m;
  std::condition_variable cv;
  std::optional<lk::JoinResponse> join;
  std::optional<lk::ReconnectResponse> reconnect;
  std::vector<lk::SessionDescription> offers;
  std::vector<lk::ParticipantInfo> updates;
  std::optional<lk::LeaveRequest> leave;
  std::vector<std::string> refresh_tokens;
  int pongs = 0;
  std::optional<Status> connected;
  std::optional<Error> lost;

  template <class F>
  void locked(F f) {
    {
      std::lock_guard l(m);
      f();
    }
    cv.notify_all();
  }
  template <class P>
  bool wait(P pred, std::chrono::milliseconds d = 10s) {
    std::unique_lock l(m);
    return cv.wait_for(l, d, pred);
  }
  void on_join(const lk::JoinResponse& j) override { locked([&] { join = j; }); }
  void on_reconnect(const lk::ReconnectResponse& r) override { locked([&] { reconnect = r; }); }
  void on_offer(const lk::SessionDescription& s) override { locked([&] { offers.push_back(s); }); }
  void on_participant_update(const lk::ParticipantUpdate& u) override {
    locked([&] { updates.insert(updates.end(), u.participants().begin(), u.participants().end()); });
  }
  void on_leave(const lk::LeaveRequest& l) override { locked([&] { leave = l; }); }
  void on_refresh_token(const std::string& t) override { locked([&] { refresh_tokens.push_back(t); }); }
  void on_pong(const lk::Pong&) override { locked([&] { ++pongs; }); }
};

struct Client {
  explicit Client(AsioLoop& loop) : loop_(loop) {}
  ~Client() { close(); }
  void connect(SignalConnectOptions o) {
    loop_.post([this, o] {
      sc = SignalClient::create(loop_);
      sc->connect(o, &ev, [this](Status s) { ev.locked([&] { ev.connected = s; }); },
                  [this](Error e) { ev.locked([&] { ev.lost = e; }); });
    });
  }
  Status wait_connected() {
    if (!ev.wait([&] { return ev.connected.has_value(); }, 15s)) return make_error(ErrorCode::kTimeout, "test: no result");
    return *ev.connected;
  }
  template <class F>
  void on_loop(F f) {
    std::promise<void> done;
    loop_.post([&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }
  void close() {
    on_loop([this] {
      if (sc) sc->close();
    });
  }
  AsioLoop& loop_;
  Events ev;
  std::shared_ptr<SignalClient> sc;
};

SignalConnectOptions options(const std::string& room, const std::string& identity) {
  SignalConnectOptions o;
  o.url = testing::kStackUrl;
  o.token = testing::join_token(room, identity);
  return o;
}

class SignalServerTest : public ::testing::Test {
 protected:
  AsioLoop loop{"signal-test"};
};

TEST_F(SignalServerTest, JoinsAndReceivesJoinResponseOfferTokenAndPongs) {
  std::string room = unique("sig-join");
  Client c(loop);
  c.connect(options(room, "alice"));
  ASSERT_TRUE(c.wait_connected()) << c.ev.connected->error().to_string();
  {
    std::lock_guard l(c.ev.m);
    ASSERT_TRUE(c.ev.join);
    EXPECT_EQ(c.ev.join->participant().identity(), "alice");
    EXPECT_EQ(c.ev.join->participant().sid().rfind("PA_", 0), 0u);
    EXPECT_EQ(c.ev.join->room().name(), room);
    EXPECT_GT(c.ev.join->ping_interval(), 0);
    EXPECT_GT(c.ev.join->ping_timeout(), c.ev.join->ping_interval());
    EXPECT_TRUE(c.ev.join->subscriber_primary());
    EXPECT_GE(c.ev.join->server_info().protocol(), 16);
  }
  // subscriber_primary: the server offers the subscriber PC (with its data channels) at once.
  ASSERT_TRUE(c.ev.wait([&] { return !c.ev.offers.empty(); }));
  EXPECT_NE(c.ev.offers[0].sdp().find("m=application"), std::string::npos);
  ASSERT_TRUE(c.ev.wait([&] { return !c.ev.refresh_tokens.empty(); }));
  EXPECT_EQ(c.sc->token(), c.ev.refresh_tokens.back());
  ASSERT_TRUE(c.ev.wait([&] { return c.ev.pongs > 0; }));
  EXPECT_GE(c.sc->rtt_ms(), 0);
  EXPECT_LT(c.sc->rtt_ms(), 1000);
}

TEST_F(SignalServerTest, WrongSecretIsAClearUnauthenticatedError) {
  Client c(loop);
  auto o = options(unique("sig-auth"), "mallory");
  o.token = testing::join_token("r", "mallory", nlohmann::json::object(), "not-the-secret");
  c.connect(o);
  auto s = c.wait_connected();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated) << s.error().to_string();
  EXPECT_NE(s.error().message.find("HTTP 401"), std::string::npos) << s.error().message;
  EXPECT_FALSE(s.error().retryable);
}

TEST_F(SignalServerTest, TokenWithoutJoinGrantIsRefused) {
  Client c(loop);
  auto o = options("x", "y");
  o.token = testing::join_token("x", "y", {{"video", {{"roomJoin", false}}}});
  c.connect(o);
  auto s = c.wait_connected();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated) << s.error().to_string();
}

TEST_F(SignalServerTest, NothingListeningIsRetryableUnavailable) {
  Client c(loop);
  auto o = options("x", "y");
  o.url = "ws://127.0.0.1:1";
  c.connect(o);
  auto s = c.wait_connected();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable) << s.error().to_string();
  EXPECT_TRUE(s.error().retryable);
}

TEST_F(SignalServerTest, OthersSeeJoinAndLeave) {
  std::string room = unique("sig-leave");
  Client a(loop), b(loop);
  a.connect(options(room, "a"));
  ASSERT_TRUE(a.wait_connected());
  b.connect(options(room, "b"));
  ASSERT_TRUE(b.wait_connected());
  std::string b_sid;
  {
    std::lock_guard l(b.ev.m);
    b_sid = b.ev.join->participant().sid();
    ASSERT_EQ(b.ev.join->other_participants_size(), 1);
    EXPECT_EQ(b.ev.join->other_participants(0).identity(), "a");
  }
  ASSERT_TRUE(a.ev.wait([&] {
    return std::any_of(a.ev.updates.begin(), a.ev.updates.end(), [&](auto& p) { return p.sid() == b_sid; });
  }));
  b.on_loop([&] { b.sc->leave(); });
  ASSERT_TRUE(a.ev.wait([&] {
    return std::any_of(a.ev.updates.begin(), a.ev.updates.end(), [&](auto& p) {
      return p.sid() == b_sid && p.state() == lk::ParticipantInfo::DISCONNECTED;
    });
  }));
  std::lock_guard l(b.ev.m);
  EXPECT_FALSE(b.ev.lost) << "leave() reported a lost connection";
}

TEST_F(SignalServerTest, DuplicateIdentityMakesTheServerSendLeave) {
  std::string room = unique("sig-dup");
  Client first(loop), second(loop);
  first.connect(options(room, "same"));
  ASSERT_TRUE(first.wait_connected());
  second.connect(options(room, "same"));
  ASSERT_TRUE(second.wait_connected());
  ASSERT_TRUE(first.ev.wait([&] { return first.ev.leave.has_value(); }));
  std::lock_guard l(first.ev.m);
  EXPECT_EQ(first.ev.leave->reason(), lk::DUPLICATE_IDENTITY);
  EXPECT_FALSE(first.ev.lost);
}

// True once the server no longer lists identity in room (polled through RoomService).
bool wait_until_gone(const std::string& room, const std::string& identity) {
  ApiOptions o;
  o.url = testing::kStackUrl;
  o.api_key = testing::kStackKey;
  o.api_secret = testing::kStackSecret;
  auto api = TwirpClient::create(o);
  if (!api) return false;
  RoomServiceClient rooms(**api);
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    auto listed = rooms.list_participants(room);
    if (listed && std::none_of(listed->begin(), listed->end(), [&](auto& p) { return p.identity == identity; }))
      return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

// A resume is only for a session whose media was connected: the server refuses one that never
// reached ACTIVE with leave{STATE_MISMATCH, RECONNECT}, which must surface as a retryable error
// (the Room then rejoins in full). A resume with media is tested in tests/livekit/room.
TEST_F(SignalServerTest, ResumeOfASessionWithoutMediaIsRefusedWithReconnect) {
  std::string room = unique("sig-resume");
  Client c(loop);
  c.connect(options(room, "r"));
  ASSERT_TRUE(c.wait_connected());
  std::string sid;
  {
    std::lock_guard l(c.ev.m);
    sid = c.ev.join->participant().sid();
  }
  std::string token = c.sc->token();
  c.on_loop([&] { c.sc->abort(); });  // as a network failure would
  // The server closes a session without media when it notices its signal connection is gone,
  // and refuses a resume only from then on: a resume that overtakes that notice is accepted
  // (livekit-server's StartSession resumes any participant it still holds open). Wait, through
  // the server API, until the participant is gone, as a real client's resume arrives after its
  // reconnect delay.
  ASSERT_TRUE(wait_until_gone(room, "r"));
  Client again(loop);
  auto o = options(room, "r");
  o.token = token;
  o.resume_sid = sid;
  o.reconnect_reason = lk::RR_SIGNAL_DISCONNECTED;
  again.connect(o);
  auto s = again.wait_connected();
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().retryable);
  EXPECT_NE(s.error().message.find("RECONNECT"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace parley::livekit
