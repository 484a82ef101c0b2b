// parley joins a throwaway room the way a call does: the signal WebSocket to /rtc opens, the
// JoinResponse arrives, ICE (and DTLS) connect to the server's media candidates. Each step is
// timed, and a failure names the first step that was not reached, since each has its own cause:
// no WebSocket (server down, wrong URL), 401 (key/secret), no join (server refused), no ICE (the
// server's advertised media address or ports are unreachable from here).
#include <mutex>
#include <random>
#include <sstream>

#include "core/log.h"
#include "core/loop_pool.h"
#include "diagnose/checks.h"
#include "livekit/auth/access_token.h"
#include "livekit/room/room.h"

namespace parley::diagnose {
namespace {

using Clock = std::chrono::steady_clock;
using livekit::ConnectStep;

std::string random_suffix() {
  std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream s;
  s << std::hex << (rng() & 0xffffffffffULL);
  return s.str();
}

std::string ms_since(Clock::time_point from, Clock::time_point to) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count()) + " ms";
}

// The steps reached, written on the room's media loop, read here after connect returned.
struct Progress {
  std::mutex mutex;
  std::vector<std::pair<ConnectStep, Clock::time_point>> steps;
  void reached(ConnectStep s) {
    std::lock_guard l(mutex);
    steps.emplace_back(s, Clock::now());
  }
  std::optional<Clock::time_point> at(ConnectStep s) {
    std::lock_guard l(mutex);
    for (auto& [step, t] : steps) {
      if (step == s) return t;
    }
    return std::nullopt;
  }
};

struct QuietInfo {
  log::Level before = log::level();
  QuietInfo() {
    if (before == log::Level::kInfo) log::set_level(log::Level::kWarn);
  }
  ~QuietInfo() { log::set_level(before); }
};

class SignalCheck final : public Check {
 public:
  std::string name() const override { return "signal_ice"; }
  std::string title() const override { return "signal connection and ICE (join a test room)"; }
  std::vector<std::string> depends_on() const override { return {"join_token"}; }

  CheckResult run(Context& ctx) override {
    const auto& lk = ctx.config().livekit;
    const std::string suffix = random_suffix();
    const std::string room_name = "parley-diagnose-" + suffix;
    livekit::TokenClaims claims;
    claims.identity = "parley-diagnose-" + suffix;
    claims.video = livekit::VideoGrant{};
    claims.video->room_join = true;
    claims.video->room = room_name;
    auto token = livekit::mint_token(claims, lk.api_key, lk.api_secret, std::chrono::minutes(5), ctx.token_clock());
    if (!token) return CheckResult::fail(token.error().message, "check livekit.api_key and livekit.api_secret");

    std::string rtc_url = lk.url;
    if (auto url = parse_url(lk.url)) rtc_url = url->as_websocket().scheme + "://" + url->authority() + "/rtc";
    const auto timeout = ctx.timeout();
    std::ostringstream within;
    within << timeout.count() / 1000.0 << " s";

    livekit::RoomOptions options;
    options.connect_timeout = timeout;
    options.auto_subscribe = false;
    options.ca_file = lk.ca_file;
    auto progress = std::make_shared<Progress>();
    livekit::RoomCallbacks callbacks;
    callbacks.on_connect_step = [progress](ConnectStep s) { progress->reached(s); };

    // The room's info lines (joined, ICE pair, PC states) would interleave with the report,
    // whose detail carries the same steps; warnings and an explicit debug level still show.
    QuietInfo quiet;
    LoopPool loops(1, 1);  // its own loops: a diagnosis shares nothing with a running service
    const auto start = Clock::now();
    auto room = livekit::Room::connect_sync(loops, lk.url, *token, options, std::move(callbacks));
    const auto end = Clock::now();
    auto open = progress->at(ConnectStep::kSignalOpen);
    auto joined = progress->at(ConnectStep::kJoined);

    if (!room) {
      loops.stop();
      const auto& e = room.error();
      if (!open) {
        if (e.code == ErrorCode::kUnauthenticated) {
          return CheckResult::fail("the signal WebSocket " + rtc_url + " refused the token: " + e.message,
                                   "HTTP 401: livekit.api_key / livekit.api_secret (LIVEKIT_API_KEY, LIVEKIT_API_SECRET) "
                                   "must be a pair from the server's keys:, and the clocks must agree");
        }
        if (auto [detail, fix] = split_fix(e.message); !fix.empty()) {
          return CheckResult::fail("the signal WebSocket to " + rtc_url + " did not open (after " +
                                       ms_since(start, end) + "): " + detail,
                                   fix);
        }
        return CheckResult::fail("the signal WebSocket to " + rtc_url + " did not open (after " + ms_since(start, end) +
                                     "): " + e.message,
                                 "is livekit-server running, and is the URL right (LIVEKIT_URL / livekit.url, "
                                 "ws://host:7880 by default)? A proxy in between must pass WebSocket upgrades on /rtc");
      }
      if (!joined) {
        return CheckResult::fail("the signal WebSocket opened in " + ms_since(start, *open) +
                                     ", but no JoinResponse followed: " + e.message,
                                 "the server accepted the connection but not the session; its log says why "
                                 "(room full, participant limits, or a server-side error)");
      }
      return CheckResult::fail(
          "joined in " + ms_since(start, *joined) + " (signal open in " + ms_since(start, *open) +
              "), but ICE never connected within " + within.str() + ": " + e.message,
          "the media address the server advertises is unreachable from here: check the server's rtc.node_ip "
          "(or rtc.use_external_ip), rtc.udp_port 7882 / rtc.port_range_start..port_range_end (UDP) and "
          "rtc.tcp_port 7881 (TCP), and that a firewall lets them through");
    }

    auto ice = progress->at(ConnectStep::kIceConnected).value_or(end);
    const auto leave_start = Clock::now();
    (*room)->leave_sync();
    room->reset();
    const auto leave_end = Clock::now();
    loops.stop();
    // The throwaway room closes by itself once empty (the server's room.departure_timeout).
    return CheckResult::pass("signal open " + ms_since(start, open.value_or(start)) + ", joined +" +
                             ms_since(open.value_or(start), joined.value_or(start)) + ", ICE connected +" +
                             ms_since(joined.value_or(start), ice) + ", left in " + ms_since(leave_start, leave_end) +
                             " (room " + room_name + ")");
  }
};

}  // namespace

std::unique_ptr<Check> make_signal_check() { return std::make_unique<SignalCheck>(); }

}  // namespace parley::diagnose
