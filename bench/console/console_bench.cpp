// What the operator console costs parley: the board fed as 20 live calls feed it (each call a
// turn every 6 s: the caller's interim and final words, four pieces of the agent's answer, four
// state changes, the turn's latencies), in three phases of equal length:
//   none    the same pacing loop with no console at all (the baseline)
//   board   console enabled, no one watching
//   viewer  one viewer on the real event stream (ConsoleServer over loopback, read as a
//           browser's EventSource would)
// and prints each phase's process CPU as a percentage of one core.
//   bench_console [calls=20] [seconds per phase=20]
#include <sys/resource.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "console/console_server.h"

using namespace parley;
using namespace std::chrono;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// One call's events of one turn, spread over the turn (6 s), as (offset, action).
void feed_turn(console::CallBoard* board, const std::string& id, int turn, int step) {
  const std::string user = "SG_user_" + std::to_string(turn);
  const std::string agent = "SG_agent_" + std::to_string(turn);
  switch (step) {
    case 0: board->user_text(id, user, "what are", false); break;
    case 1: board->user_text(id, user, "what are your opening", false); break;
    case 2: board->user_text(id, user, "what are your opening hours", true); board->set_state(id, "thinking"); break;
    case 3: {
      voice::TurnMetrics m;
      m.turn = turn;
      m.end_of_utterance_delay = 0.52;
      m.stt_latency = 0.11;
      m.llm_ttft = 0.002;
      m.tts_ttfb = 0.04;
      m.end_to_end = 0.71;
      board->turn(id, m);
      board->set_state(id, "speaking");
      board->agent_text(id, agent, "We are open from nine in the morning ", false);
      break;
    }
    case 4: board->agent_text(id, agent, "to six in the evening, ", false); break;
    case 5: board->agent_text(id, agent, "Monday to Friday.", false); break;
    case 6: board->agent_text(id, agent, "", true); board->set_state(id, "listening"); break;
    default: break;
  }
}

constexpr int kSteps = 12;  // a 6 s turn in 0.5 s steps; steps 7-11 are the caller's silence

double run_phase(console::CallBoard* board, int calls, int seconds_per_phase) {
  std::vector<std::string> ids;
  for (int c = 0; c < calls; ++c) {
    ids.push_back(board ? board->begin("SCL_" + std::to_string(c), "room-" + std::to_string(c), "+1555***00" + std::to_string(c))
                        : "");
  }
  double cpu0 = cpu_seconds();
  auto t0 = steady_clock::now();
  int tick = 0;
  // Every 50 ms, one in ten calls takes its next step: each call steps every 0.5 s, the calls
  // staggered over the interval as real calls are.
  while (steady_clock::now() - t0 < seconds(seconds_per_phase)) {
    for (int c = tick % 10; c < calls; c += 10) {
      int step = (tick / 10 + c) % kSteps;
      int turn = (tick / 10 + c) / kSteps + 1;
      if (board) feed_turn(board, ids[c], turn, step);
    }
    ++tick;
    std::this_thread::sleep_until(t0 + milliseconds(50) * tick);
  }
  double cpu = cpu_seconds() - cpu0;
  double wall = duration<double>(steady_clock::now() - t0).count();
  if (board) {
    for (const auto& id : ids) board->end(id, "caller_left");
  }
  return cpu / wall * 100.0;
}

}  // namespace

int main(int argc, char** argv) {
  int calls = argc > 1 ? std::atoi(argv[1]) : 20;
  int secs = argc > 2 ? std::atoi(argv[2]) : 20;
  log::set_level(log::Level::kWarn);

  auto dir = std::filesystem::temp_directory_path() / "parley-bench-console";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "index.html") << "<!doctype html>";
  auto assets = console::ConsoleAssets::load(dir.string());
  if (!assets) return 1;
  Config c;
  c.livekit.url = "ws://127.0.0.1:7880";
  c.livekit.api_key = "devkey";
  c.livekit.api_secret = "secret";
  c.console.enabled = true;
  c.console.listen = "127.0.0.1:0";
  c.console.token = "bench-token-0123456789";
  auto board = std::make_shared<console::CallBoard>(console::CallBoardOptions{});
  AsioLoop loop("console");
  console::ConsoleServer server(loop, std::make_shared<service::ConfigSnapshot>(std::make_shared<const Config>(c)), board,
                                std::move(*assets));
  auto port = server.start();
  if (!port) {
    std::fprintf(stderr, "%s\n", port.error().message.c_str());
    return 1;
  }

  double none = run_phase(nullptr, calls, secs);
  double idle = run_phase(board.get(), calls, secs);

  // The viewer: a raw socket reading the stream, as EventSource does.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), *port});
  std::string req = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + c.console.token + "\r\n\r\n";
  boost::asio::write(s, boost::asio::buffer(req));
  std::atomic<size_t> received{0};
  std::thread reader([&] {
    char buf[65536];
    boost::system::error_code ec;
    while (true) {
      auto n = s.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      received += n;
    }
  });
  while (board->viewers() == 0) std::this_thread::sleep_for(milliseconds(10));
  double watched = run_phase(board.get(), calls, secs);
  size_t bytes = received;
  boost::system::error_code ec;
  s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  reader.join();
  server.stop();

  std::printf("calls %d, %d s per phase, %.0f board events/s\n", calls, secs, calls * 12.0 / 6.0);
  std::printf("CPU, %% of one core: none %.3f | board, no viewer %.3f | one viewer %.3f\n", none, idle, watched);
  std::printf("console with no viewer: +%.3f %%; with one viewer: +%.3f %% (stream %.1f KB/s)\n", idle - none,
              watched - none, static_cast<double>(bytes) / 1024.0 / secs);
  return 0;
}
