// ApiCallControl against a stand-in of LiveKit's server API on loopback (real sockets, one
// thread per connection, like the real server): one call's hung or rate-limited request must
// not hold another call's hang-up, a hung transfer is not retried, and shutdown cancels what
// hangs.
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <utility>  // before boost/asio.hpp: its awaitable.hpp uses std::exchange
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/api_call_control.h"

namespace parley::agent {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// What the stand-in does with one request.
struct Answer {
  int status = 200;
  std::string body = "{}";
  std::map<std::string, std::string> headers;
  bool hang = false;  // never answer (until the server stops)
};

// LiveKit's Twirp API as a scripted server: `route` picks the answer from the method
// ("RoomService/RemoveParticipant") and the request's room. Records each request in order.
class StandInApi {
 public:
  using Route = std::function<Answer(const std::string& method, const std::string& room)>;
  explicit StandInApi(Route route) : route_(std::move(route)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~StandInApi() {
    {
      std::lock_guard l(mutex_);
      stop_ = true;
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    boost::system::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    accept_thread_.join();
    for (auto& t : connections_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  // "method room" of every request so far, in arrival order.
  std::vector<std::string> requests() {
    std::lock_guard l(mutex_);
    return seen_;
  }
  bool wait_for_requests(size_t n, std::chrono::milliseconds deadline) {
    std::unique_lock l(mutex_);
    return cv_.wait_for(l, deadline, [&] { return seen_.size() >= n; });
  }

 private:
  void accept_loop() {
    for (;;) {
      auto sock = std::make_shared<tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(*sock, ec);
      std::lock_guard l(mutex_);
      if (ec || stop_) return;
      fds_.push_back(sock->native_handle());
      connections_.emplace_back([this, sock] { serve(*sock); });
    }
  }

  void serve(tcp::socket& sock) {
    boost::beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(sock, buf, req, ec);
      if (ec) return;
      std::string target(req.target());
      std::string method = target.substr(target.find("livekit.") + 8);
      auto body = nlohmann::json::parse(req.body(), nullptr, false);
      std::string room = !body.is_object() ? "" : body.contains("room") ? body.value("room", "") : body.value("room_name", "");
      Answer a = route_(method, room);
      {
        std::unique_lock l(mutex_);
        seen_.push_back(method + " " + room);
        cv_.notify_all();
        if (a.hang) {
          cv_.wait(l, [this] { return stop_; });
          return;
        }
      }
      http::response<http::string_body> res{http::int_to_status(unsigned(a.status)), 11};
      res.body() = a.body;
      for (const auto& [k, v] : a.headers) res.set(k, v);
      res.keep_alive(true);
      res.prepare_payload();
      http::write(sock, res, ec);
      if (ec) return;
    }
  }

  Route route_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<int> fds_;
  std::vector<std::thread> connections_;
  std::vector<std::string> seen_;
};

std::unique_ptr<ApiCallControl> control_for(const StandInApi& api, std::chrono::milliseconds timeout) {
  livekit::ApiOptions o;
  o.url = api.url();
  o.api_key = "devkey";
  o.api_secret = "secret";
  o.request_timeout = timeout;
  o.retry_attempts = 3;
  o.backoff_base = Millis(10);
  o.backoff_cap = Millis(50);
  auto c = ApiCallControl::create(o);
  EXPECT_TRUE(c) << c.error().to_string();
  return std::move(*c);
}

// A callback's answer, and when it came.
struct Outcome {
  std::promise<std::pair<Status, Clock::time_point>> promise;
  std::future<std::pair<Status, Clock::time_point>> future = promise.get_future();
  std::function<void(Status)> callback() {
    return [this](Status s) { promise.set_value({std::move(s), Clock::now()}); };
  }
};

double seconds_since(Clock::time_point t0, Clock::time_point t) { return std::chrono::duration<double>(t - t0).count(); }

// Call A's transfer hangs at the server; call B hangs up meanwhile. With one worker for every
// call, B's RemoveParticipant waited behind A's transfer for the whole request timeout.
TEST(ApiCallControlTest, AHungTransferOfOneCallDoesNotHoldAnotherCallsHangUp) {
  StandInApi api([](const std::string& method, const std::string&) {
    Answer a;
    a.hang = method == "SIP/TransferSIPParticipant";
    return a;
  });
  auto control = control_for(api, 3000ms);
  Outcome transfer, hang_up;
  control->transfer("call-a", "sip_a", "sip:operator@127.0.0.1:5070", transfer.callback());
  ASSERT_TRUE(api.wait_for_requests(1, 5s));

  auto t0 = Clock::now();
  control->hang_up("call-b", "sip_b", hang_up.callback());
  ASSERT_EQ(hang_up.future.wait_for(10s), std::future_status::ready);
  auto [status, at] = hang_up.future.get();
  EXPECT_TRUE(status) << status.error().to_string();
  std::printf("call B's hang-up while call A's transfer hangs: %.3f s\n", seconds_since(t0, at));
  EXPECT_LT(seconds_since(t0, at), 1.0) << "call B's hang-up waited for call A's transfer";

  // The transfer times out, and is not sent again: the REFER may have gone out.
  ASSERT_EQ(transfer.future.wait_for(10s), std::future_status::ready);
  auto [tstatus, tat] = transfer.future.get();
  ASSERT_FALSE(tstatus);
  EXPECT_EQ(tstatus.error().code, ErrorCode::kTimeout) << tstatus.error().to_string();
  EXPECT_EQ(api.requests(), (std::vector<std::string>{"SIP/TransferSIPParticipant call-a",
                                                      "RoomService/RemoveParticipant call-b"}));
}

// Call A is rate limited with Retry-After: 30; its retry waits on A's own lane, so B's hang-up
// goes through at once, and shutdown cuts A's wait short.
TEST(ApiCallControlTest, ARetryAfterWaitOfOneCallDoesNotHoldAnotherCall) {
  StandInApi api([](const std::string&, const std::string& room) {
    Answer a;
    if (room == "call-a") {
      a.status = 429;
      a.body = R"({"code":"resource_exhausted","msg":"slow down"})";
      a.headers["Retry-After"] = "30";
    }
    return a;
  });
  auto control = control_for(api, 3000ms);
  Outcome first, second;
  control->hang_up("call-a", "sip_a", first.callback());
  ASSERT_TRUE(api.wait_for_requests(1, 5s));

  auto t0 = Clock::now();
  control->hang_up("call-b", "sip_b", second.callback());
  ASSERT_EQ(second.future.wait_for(10s), std::future_status::ready);
  auto [status, at] = second.future.get();
  EXPECT_TRUE(status) << status.error().to_string();
  EXPECT_LT(seconds_since(t0, at), 1.0) << "call B's hang-up waited for call A's Retry-After";

  t0 = Clock::now();
  control.reset();
  EXPECT_LT(seconds_since(t0, Clock::now()), 1.0) << "shutdown waited out the Retry-After";
  ASSERT_EQ(first.future.wait_for(0s), std::future_status::ready);
  auto [fstatus, fat] = first.future.get();
  ASSERT_FALSE(fstatus);
  EXPECT_EQ(fstatus.error().code, ErrorCode::kCancelled) << fstatus.error().to_string();
  EXPECT_EQ(api.requests().size(), 2u);
}

// Shutdown does not wait for a request that hangs: it is cancelled, and so is what was queued
// behind it on the same call.
TEST(ApiCallControlTest, ShutdownCancelsAHungRequestAndWhatWaitsBehindIt) {
  StandInApi api([](const std::string&, const std::string&) { return Answer{200, "{}", {}, true}; });
  auto control = control_for(api, 30'000ms);
  Outcome transfer, hang_up;
  control->transfer("call-a", "sip_a", "tel:+15550199", transfer.callback());
  control->hang_up("call-a", "sip_a", hang_up.callback());
  ASSERT_TRUE(api.wait_for_requests(1, 5s));
  auto t0 = Clock::now();
  control.reset();
  EXPECT_LT(seconds_since(t0, Clock::now()), 1.0);
  for (auto* o : {&transfer, &hang_up}) {
    ASSERT_EQ(o->future.wait_for(0s), std::future_status::ready);
    auto [status, at] = o->future.get();
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kCancelled) << status.error().to_string();
  }
  EXPECT_EQ(api.requests().size(), 1u);
}

// One call's requests keep their order (a transfer that failed, then the hang-up).
TEST(ApiCallControlTest, OneCallsRequestsRunInOrder) {
  StandInApi api([](const std::string& method, const std::string&) {
    Answer a;
    if (method == "SIP/TransferSIPParticipant") {
      a.status = 400;
      a.body = R"({"code":"invalid_argument","msg":"no"})";
    }
    return a;
  });
  auto control = control_for(api, 3000ms);
  Outcome transfer, hang_up;
  control->transfer("call-a", "sip_a", "tel:+15550199", transfer.callback());
  control->hang_up("call-a", "sip_a", hang_up.callback());
  ASSERT_EQ(hang_up.future.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(hang_up.future.get().first);
  EXPECT_FALSE(transfer.future.get().first);
  EXPECT_EQ(api.requests(), (std::vector<std::string>{"SIP/TransferSIPParticipant call-a",
                                                      "RoomService/RemoveParticipant call-a"}));
}

}  // namespace
}  // namespace parley::agent
