// bench_rooms: N simultaneous calls on this machine against the local livekit-server. Each call
// is a room with a caller, who publishes speech, and a parley "agent" livekit::Room, which hears
// the caller (subscribed, decoded, jitter-buffered, every 20 ms) and speaks: it pushes
// pre-synthesised speech (flite) into the PcmSource its LocalAudioTrack pulls from on the media
// loop's 20 ms tick (framed, Opus-encoded, SRTP).
// The callers run in a child process (this binary with --role callers), so the figures are the
// agent process's alone:
//   - CPU per call: process CPU time / N / wall time, and as a ratio to the Opus floor measured
//     in this run (encode + decode of one 20 ms frame at complexity 5, × 50 frames/s);
//   - threads: the process's thread count (it should not depend on N);
//   - RSS per call: (RSS with N calls − RSS before the first call) / N;
//   - pacing: the p99 interval between consecutive sent frames (LocalAudioTrack::send_intervals).
// livekit-server and the callers share the machine; their CPU is printed beside it.
//
//   scripts/netns.sh bench/rooms/run.sh build/bench/rooms/bench_rooms 1 10 50 100
//   bench_rooms --rooms N [--seconds 20] [--warmup 5] [--server-pid PID]   (stack already up)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/loop_pool.h"
#include "../common/local_stack.h"
#include "livekit/room/room.h"
#include "media/opus_decoder.h"
#include "media/opus_encoder.h"
#include "media/pcm_source.h"
#include "providers/tts/flite_tts.h"

using namespace parley;
namespace lk = parley::livekit;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string role = "agents";
  int rooms = 10;
  double seconds = 20, warmup = 5;
  std::string prefix;
  long server_pid = 0;
  int complexity = 5;  // what LocalAudioTrack's encoder uses (OpusEncoderOptions default)
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--role") a.role = next();
    else if (k == "--rooms") a.rooms = std::stoi(next());
    else if (k == "--seconds") a.seconds = std::stod(next());
    else if (k == "--warmup") a.warmup = std::stod(next());
    else if (k == "--prefix") a.prefix = next();
    else if (k == "--server-pid") a.server_pid = std::stol(next());
    else {
      std::fprintf(stderr, "usage: bench_rooms [--rooms N] [--seconds S] [--warmup S] [--server-pid PID] [--role agents|callers]\n");
      std::exit(2);
    }
  }
  if (a.prefix.empty()) a.prefix = "bench-" + std::to_string(getpid());
  return a;
}

std::string token_for(const std::string& room, const std::string& identity) {
  auto t = bench::local_join_token(room, identity);
  if (!t) {
    std::fprintf(stderr, "token: %s\n", t.error().to_string().c_str());
    std::exit(1);
  }
  return *t;
}

// Speech at 48 kHz mono, looped by every sender.
std::vector<int16_t> speech_48k(bool caller) {
  providers::FliteTts tts;
  providers::TtsRequest req;
  req.sample_rate = 48000;
  const char* agent[] = {"Good morning, thank you for calling. How can I help you today?",
                         "We are open from nine in the morning until six in the evening.",
                         "I have booked a table for four people at seven o'clock."};
  const char* callers[] = {"Hello, what are your opening hours on Saturday?",
                           "I would like to book a table for four people at seven.",
                           "Could you tell me where you are and how to get there?"};
  std::vector<int16_t> out;
  for (const char* line : caller ? callers : agent) {
    auto a = tts.synthesize(line, req);
    if (!a) {
      std::fprintf(stderr, "tts failed: %s\n", a.error().to_string().c_str());
      std::exit(1);
    }
    out.insert(out.end(), a->data.begin(), a->data.end());
  }
  return out;
}

// One speaker's position in the looped speech.
struct SpeechCursor {
  const std::vector<int16_t>* pcm = nullptr;
  size_t pos = 0;
  media::AudioFrame next(size_t samples) {
    std::vector<int16_t> chunk(samples);
    for (auto& s : chunk) {
      s = (*pcm)[pos];
      pos = (pos + 1) % pcm->size();
    }
    return media::AudioFrame::from_samples(48000, 1, chunk);
  }
};

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double process_cpu_s() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// utime + stime of another process, in seconds (0 when it cannot be read).
double other_cpu_s(long pid) {
  if (pid <= 0) return 0;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long status_field(const char* key) {  // VmRSS (kB), Threads, … from /proc/self/status
  std::ifstream f("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(key);
  while (std::getline(f, line)) {
    if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') return std::stol(line.substr(n + 1));
  }
  return -1;
}

double loadavg() {
  std::ifstream f("/proc/loadavg");
  double l = 0;
  f >> l;
  return l;
}

// Opus encode + decode of one 20 ms frame of this speech, µs of thread CPU (median of 5 passes).
double opus_floor_us(const std::vector<int16_t>& pcm, int complexity) {
  const size_t frame = 960, frames = std::min<size_t>(pcm.size() / frame, 250);
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    media::OpusEncoderOptions o;
    o.complexity = complexity;
    auto enc = media::OpusEncoder::create(o);
    auto dec = media::OpusDecoder::create();
    if (!enc || !dec) std::exit(1);
    media::AudioFrame out;
    const double t0 = thread_cpu_us();
    for (size_t i = 0; i < frames; ++i) {
      auto p = (*enc)->encode(media::AudioFrame::from_samples(48000, 1, std::span<const int16_t>(pcm).subspan(i * frame, frame)));
      if (p) (void)(*dec)->decode(*p, out);
    }
    runs.push_back((thread_cpu_us() - t0) / static_cast<double>(frames));
  }
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

// Lateness of 20 ms timers, in 1 ms buckets: on each media loop (what the rooms' pumps see)
// and on a plain thread (what the machine's scheduler alone does to a waking thread).
struct LagProbe {
  lk::SendIntervals hist;  // reused as a 1 ms histogram
  std::mutex m;
  void add(SteadyClock::duration late) {
    auto ms = static_cast<size_t>(std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(late).count()));
    std::lock_guard l(m);
    hist.ms[std::min(ms, hist.ms.size() - 1)]++;
  }
};

struct LoopProbe {
  EventLoop* loop = nullptr;
  TimerHandle timer;  // the loop's thread only
  SteadyClock::time_point due;
};

void arm(LoopProbe& p, LagProbe& lag, std::atomic<bool>& stop) {
  p.due = SteadyClock::now() + std::chrono::milliseconds(20);
  p.timer = p.loop->post_after(std::chrono::milliseconds(20), [&p, &lag, &stop] {
    if (stop) return;
    lag.add(SteadyClock::now() - p.due);
    arm(p, lag, stop);
  });
}

// Per thread of this process: name → (ns on CPU, ns runnable but waiting for a CPU), from
// /proc/self/task/*/schedstat. Waiting time says whether late timers are the scheduler's doing.
std::map<std::string, std::pair<double, double>> thread_sched() {
  std::map<std::string, std::pair<double, double>> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream c(e.path() / "comm"), st(e.path() / "schedstat");
    std::string name;
    std::getline(c, name);
    double run = 0, wait = 0;
    st >> run >> wait;
    auto& slot = out[name + "/" + e.path().filename().string()];
    slot.first += run;
    slot.second += wait;
  }
  return out;
}

struct Call {
  std::shared_ptr<lk::Room> room;
  std::shared_ptr<lk::LocalAudioTrack> track;  // written once before `published`; read only after it
  lk::LocalAudioTrack* ready_track() const { return published.load(std::memory_order_acquire) ? track.get() : nullptr; }
  // What the track sends (pulled on its media loop's tick); fed by one thread.
  std::shared_ptr<media::PcmSource> pcm = std::make_shared<media::PcmSource>();
  SpeechCursor speech;
  std::atomic<uint64_t> frames_in{0};
  std::atomic<bool> subscribed{false}, published{false}, failed{false};
};

// Joins N rooms, at most `parallel` joins in flight; returns once all are done.
void join_all(LoopPool& loops, const Args& a, const std::string& who, bool subscribe,
              std::vector<std::unique_ptr<Call>>& calls, const std::function<lk::RoomCallbacks(Call&)>& make_cb,
              int parallel = 8) {
  const std::string url = bench::local_url();
  std::mutex m;
  std::condition_variable cv;
  int in_flight = 0, done = 0;
  for (auto& c : calls) {
    {
      std::unique_lock l(m);
      cv.wait(l, [&] { return in_flight < parallel; });
      ++in_flight;
    }
    const int i = static_cast<int>(&c - calls.data());
    lk::RoomOptions o;
    o.auto_subscribe = subscribe;
    o.connect_timeout = std::chrono::seconds(60);
    Call* call = c.get();
    lk::Room::connect(loops, url, token_for(a.prefix + "-" + std::to_string(i), who + "-" + std::to_string(i)), o,
                      make_cb(*call), [&, call](Result<std::shared_ptr<lk::Room>> r) {
                        if (r) {
                          call->room = *r;
                          call->room->publish_audio("speech", [call](Result<std::shared_ptr<lk::LocalAudioTrack>> t) {
                            if (t) {
                              call->track = *t;
                              call->track->set_source(call->pcm);
                            }
                            if (!t) call->failed = true;
                            call->published.store(true, std::memory_order_release);
                          });
                        } else {
                          std::fprintf(stderr, "%s join failed: %s\n", who.c_str(), r.error().to_string().c_str());
                          call->failed = true;
                        }
                        std::lock_guard l(m);
                        --in_flight;
                        ++done;
                        cv.notify_all();
                      });
  }
  std::unique_lock l(m);
  cv.wait(l, [&] { return done == static_cast<int>(calls.size()); });
}

// Keeps every track fed from one thread: used by the callers only (not measured).
void feed_until(std::vector<std::unique_ptr<Call>>& calls, const std::function<bool()>& stop) {
  while (!stop()) {
    for (auto& c : calls) {
      auto* t = c->ready_track();
      if (t && c->pcm->queued() < std::chrono::milliseconds(200)) (void)c->pcm->push(c->speech.next(48000 / 5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void leave_all(std::vector<std::unique_ptr<Call>>& calls) {
  for (auto& c : calls) {
    if (c->room) c->room->leave();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (auto& c : calls) c->room.reset();
}

int run_callers(const Args& a) {
  auto speech = speech_48k(true);
  LoopPool loops(0, 0);
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < a.rooms; ++i) {
    calls.push_back(std::make_unique<Call>());
    calls.back()->speech = {&speech, static_cast<size_t>(i) * 4801 % speech.size()};
  }
  join_all(loops, a, "caller", false, calls, [](Call&) { return lk::RoomCallbacks{}; });
  std::printf("ready\n");
  std::fflush(stdout);
  // Until the parent closes our stdin.
  std::atomic<bool> stop{false};
  std::thread watch([&] {
    char buf[64];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
    }
    stop = true;
  });
  feed_until(calls, [&] { return stop.load(); });
  watch.join();
  leave_all(calls);
  loops.stop();
  return 0;
}

struct Child {
  pid_t pid = -1;
  int to_child = -1;
  FILE* from_child = nullptr;
};

Child spawn_callers(const Args& a) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close(in[1]);
    close(out[0]);
    std::string n = std::to_string(a.rooms);
    execl("/proc/self/exe", "bench_rooms", "--role", "callers", "--rooms", n.c_str(), "--prefix", a.prefix.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  return {pid, in[1], fdopen(out[0], "r")};
}

int run_agents(const Args& a) {
  const auto agent_speech = speech_48k(false);
  const double floor_us = opus_floor_us(agent_speech, a.complexity);
  const double floor_share = floor_us * 50 / 1e6;  // of one core, per call (one encode + one decode per 20 ms)

  LoopPool loops(0, 0);  // one media and one I/O loop per core, as parley serve
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long idle_rss_kb = status_field("VmRSS"), idle_threads = status_field("Threads");

  Child child = spawn_callers(a);
  char line[64] = {};
  if (!child.from_child || !std::fgets(line, sizeof line, child.from_child) || std::strncmp(line, "ready", 5) != 0) {
    std::fprintf(stderr, "the callers did not come up\n");
    return 1;
  }

  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < a.rooms; ++i) {
    calls.push_back(std::make_unique<Call>());
    calls.back()->speech = {&agent_speech, static_cast<size_t>(i) * 3907 % agent_speech.size()};
  }
  const auto join_start = SteadyClock::now();
  join_all(loops, a, "agent", true, calls, [](Call& call) {
    lk::RoomCallbacks cb;
    cb.on_track_subscribed = [&call](const lk::RemoteTrack&) { call.subscribed = true; };
    // The agent's side of the call, on the room's media loop every 20 ms: hear one frame, and
    // keep about 100 ms of speech queued ahead of the pacer (as the TTS stage does).
    cb.on_audio = [&call](const lk::RemoteTrack&, const media::AudioFrame&) {
      call.frames_in.fetch_add(1, std::memory_order_relaxed);
      auto* t = call.ready_track();
      if (t && call.pcm->queued() < std::chrono::milliseconds(100)) (void)call.pcm->push(call.speech.next(48000 / 10));
    };
    return cb;
  });
  for (auto deadline = SteadyClock::now() + std::chrono::seconds(60); SteadyClock::now() < deadline;) {
    bool all = std::all_of(calls.begin(), calls.end(), [](auto& c) { return c->failed || (c->subscribed && c->published); });
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const int failed = static_cast<int>(std::count_if(calls.begin(), calls.end(), [](auto& c) { return c->failed || !c->subscribed; }));
  const double join_s = std::chrono::duration<double>(SteadyClock::now() - join_start).count();
  std::this_thread::sleep_for(std::chrono::duration<double>(a.warmup));

  auto intervals = [&] {
    lk::SendIntervals sum;
    for (auto& c : calls) {
      if (auto* t = c->ready_track()) {
        auto s = t->send_intervals();
        for (size_t i = 0; i < sum.ms.size(); ++i) sum.ms[i] += s.ms[i];
      }
    }
    return sum;
  };
  auto totals = [&](uint64_t& in, uint64_t& out) {
    in = out = 0;
    for (auto& c : calls) {
      in += c->frames_in.load();
      if (auto* t = c->ready_track()) out += t->frames_sent();
    }
  };
  LagProbe loop_lag, thread_lag;
  std::atomic<bool> stop_probes{false};
  std::vector<std::unique_ptr<LoopProbe>> probes;
  for (size_t i = 0; i < loops.media_count(); ++i) {
    probes.push_back(std::make_unique<LoopProbe>());
    probes.back()->loop = &loops.next_media();
    probes.back()->loop->post([p = probes.back().get(), &loop_lag, &stop_probes] { arm(*p, loop_lag, stop_probes); });
  }
  std::thread sleeper([&] {
    while (!stop_probes) {
      auto due = SteadyClock::now() + std::chrono::milliseconds(20);
      std::this_thread::sleep_until(due);
      thread_lag.add(SteadyClock::now() - due);
    }
  });
  const auto sched0 = thread_sched();
  const auto iv0 = intervals();
  uint64_t in0, out0;
  totals(in0, out0);
  const double cpu0 = process_cpu_s(), server0 = other_cpu_s(a.server_pid), callers0 = other_cpu_s(child.pid);
  const auto t0 = SteadyClock::now();
  long max_rss_kb = 0, max_threads = 0;
  double load = 0;
  while (SteadyClock::now() - t0 < std::chrono::duration<double>(a.seconds)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    max_rss_kb = std::max(max_rss_kb, status_field("VmRSS"));
    max_threads = std::max(max_threads, status_field("Threads"));
    load = std::max(load, loadavg());
  }
  const double wall = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  const double cpu = process_cpu_s() - cpu0, server = other_cpu_s(a.server_pid) - server0,
               callers = other_cpu_s(child.pid) - callers0;
  const auto sched1 = thread_sched();
  stop_probes = true;
  sleeper.join();
  for (auto& p : probes) p->loop->post([p = p.get()] { p->timer.cancel(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto iv = intervals();
  for (size_t i = 0; i < iv.ms.size(); ++i) iv.ms[i] -= iv0.ms[i];
  uint64_t in1, out1;
  totals(in1, out1);

  // The two busiest threads are the media loops: how much of the window they ran, and how much
  // they were runnable but waiting for a CPU (the machine is shared; late timers come from this).
  std::vector<std::pair<double, double>> busy;
  for (auto& [name, v] : sched1) {
    auto before = sched0.count(name) ? sched0.at(name) : std::pair<double, double>{0, 0};
    busy.emplace_back((v.first - before.first) / 1e9 / wall, (v.second - before.second) / 1e9 / wall);
  }
  std::sort(busy.rbegin(), busy.rend());
  double loops_run = 0, loops_wait = 0;
  for (size_t i = 0; i < std::min<size_t>(busy.size(), loops.media_count()); ++i) {
    loops_run += busy[i].first / static_cast<double>(loops.media_count());
    loops_wait += busy[i].second / static_cast<double>(loops.media_count());
  }
  const int n = a.rooms;
  const double per_call = cpu / wall / n;
  std::printf("| %d | %d | %.2f %% | %.2f %% | %.2f | %ld → %ld | %.0f kB | %.0f | %.0f | %.0f ms | %.0f ms | %.0f %% / %.0f %% | %.0f %% | %.0f %% | %.1f | %.1f s |\n",
              n, failed, 100 * per_call, 100 * floor_share, per_call / floor_share, idle_threads, max_threads,
              static_cast<double>(max_rss_kb - idle_rss_kb) / n, static_cast<double>(out1 - out0) / wall / n,
              static_cast<double>(in1 - in0) / wall / n, iv.quantile_upper_ms(0.5), iv.quantile_upper_ms(0.99),
              100 * loops_run, 100 * loops_wait, 100 * server / wall, 100 * callers / wall, load, join_s);
  std::fflush(stdout);
  std::fprintf(stderr, "rooms=%d opus_floor_us=%.1f cpu_s=%.2f wall_s=%.1f idle_rss_kb=%ld max_rss_kb=%ld intervals=%llu p99.9=%.0fms max_bucket=%.0fms\n",
               n, floor_us, cpu, wall, idle_rss_kb, max_rss_kb, static_cast<unsigned long long>(iv.count()),
               iv.quantile_upper_ms(0.999), iv.quantile_upper_ms(1.0));
  std::fprintf(stderr, "timer lateness p99/max: media loops %.0f/%.0f ms, plain thread %.0f/%.0f ms\n",
               loop_lag.hist.quantile_upper_ms(0.99), loop_lag.hist.quantile_upper_ms(1.0),
               thread_lag.hist.quantile_upper_ms(0.99), thread_lag.hist.quantile_upper_ms(1.0));

  std::fprintf(stderr, "threads (ms on CPU / ms runnable waiting for a CPU):");
  for (auto& [name, v] : sched1) {
    auto before = sched0.count(name) ? sched0.at(name) : std::pair<double, double>{0, 0};
    if (v.first - before.first > 1e6) std::fprintf(stderr, " %s %.0f/%.0f", name.c_str(), (v.first - before.first) / 1e6, (v.second - before.second) / 1e6);
  }
  std::fprintf(stderr, "\n");
  if (std::getenv("BENCH_PER_CALL")) {
    std::fprintf(stderr, "  send intervals (ms: count):");
    for (size_t i = 0; i < iv.ms.size(); ++i) {
      if (iv.ms[i]) std::fprintf(stderr, " %zu:%llu", i, static_cast<unsigned long long>(iv.ms[i]));
    }
    std::fprintf(stderr, "\n");
    for (auto& c : calls) {
      auto* t = c->ready_track();
      std::fprintf(stderr, "  call %zu: heard %llu frames, sent %llu, p99 %.0f ms\n", static_cast<size_t>(&c - calls.data()),
                   static_cast<unsigned long long>(c->frames_in.load()),
                   static_cast<unsigned long long>(t ? t->frames_sent() : 0), t ? t->send_intervals().quantile_upper_ms(0.99) : 0.0);
    }
  }
  leave_all(calls);
  close(child.to_child);
  int status = 0;
  waitpid(child.pid, &status, 0);
  loops.stop();
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  log::set_level(log::Level::kWarn);
  if (a.role == "callers") return run_callers(a);
  if (a.role != "agents") {
    std::fprintf(stderr, "--role agents|callers\n");
    return 2;
  }
  return run_agents(a);
}
