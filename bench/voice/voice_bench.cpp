// bench_voice: the voice agent's latency with the embedded engines (WebRTC VAD → pocketsphinx →
// scripted dialogue → flite), for 1 and for N simultaneous calls on a fixed set of call loops.
//
// Each call is a real CallAgent on a room that only records (no network: the room's cost is
// bench/rooms' subject). A caller thread sends each call 20 ms frames in real time: silence,
// then a question synthesised by flite, then silence until the agent's answer has been spoken,
// and so on. Calls start staggered over a few seconds, as real calls would.
//
// Per turn the pipeline measures: end-of-utterance delay (caller's last speech → turn taken:
// the endpointing delay plus any wait for the recogniser), LLM time to first token, TTS time to
// first audio, and end to end (caller's last speech → agent's first frame out). The agent's own
// share is what is left: end to end − end-of-utterance − LLM − TTS, i.e. scheduling, sentence
// splitting, queues and frame pacing. Target: under 30 ms at p50 and p95. The reference printed
// with it is the Opus encode of one 20 ms frame measured in the same run (the pacing quantum is
// 20 ms, and one frame's encode is what every reply must pay at least).
//
//   build/bench/voice/bench_voice [--calls 1,20] [--questions 3] [--loops 2] [--decoders 4]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <random>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include "agent/call_agent.h"
#include "core/asio_loop.h"
#include "media/opus_encoder.h"
#include "media/shared_frame_tick.h"
#include "media/resampler.h"
#include "providers/stt/pocketsphinx_stt.h"
#include "providers/tts/flite_tts.h"

using namespace parley;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

namespace {

constexpr size_t kFrame = 960;  // 20 ms at 48 kHz

// A room that only counts: the agent's finished replies and its frames. It pulls the agent's
// voice on the call loop's shared 20 ms frame tick, as a real room does on its media loop's.
class CountingRoom final : public agent::CallRoom {
 public:
  ~CountingRoom() override { tick.cancel(); }
  void join(agent::CallRoomEvents e) override { events = std::move(e); }
  void set_audio_source(std::shared_ptr<media::OutgoingAudio> source) override {  // on the call's loop
    tick.cancel();
    if (!source) return;
    if (!frame_tick) frame_tick = media::SharedFrameTick::for_loop(*loop);  // lives while held
    tick = frame_tick->subscribe([this, source] {
      if (source->pull()) frames.fetch_add(1);
    });
  }
  void publish_transcript(const agent::TranscriptSegment& s) override {
    if (s.agent && s.final) replies.fetch_add(1);
  }
  void leave() override {}
  const std::string& agent_identity() const override { return identity; }

  EventLoop* loop = nullptr;
  std::shared_ptr<media::SharedFrameTick> frame_tick;
  TimerHandle tick;
  agent::CallRoomEvents events;
  std::atomic<int> replies{0};
  std::atomic<uint64_t> frames{0};
  std::string identity = "parley-agent";
};

class NoControl final : public agent::CallControl {
 public:
  void hang_up(const std::string&, const std::string&, std::function<void(Status)> done) override { done({}); }
  void transfer(const std::string&, const std::string&, const std::string&, std::function<void(Status)> done) override {
    done({});
  }
};

std::vector<media::AudioFrame> flite_48k(const std::string& text) {
  providers::FliteTts flite;
  providers::TtsRequest req;
  req.sample_rate = 16000;  // as a phone caller: 16 kHz speech, resampled to the room's 48 kHz
  auto clip = flite.synthesize(text, req);
  if (!clip) {
    std::fprintf(stderr, "flite failed: %s\n", clip.error().to_string().c_str());
    std::exit(1);
  }
  auto rs = *media::Resampler::create(16000, 48000, 1);
  media::SecureVector<int16_t> up;
  (void)rs->process(clip->samples(), up);
  (void)rs->flush(up);
  std::vector<media::AudioFrame> frames;
  for (size_t i = 0; i + kFrame <= up.size(); i += kFrame) {
    frames.push_back(media::AudioFrame::from_samples(48000, 1, std::span<const int16_t>(up.data() + i, kFrame)));
  }
  return frames;
}

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double opus_encode_floor_ms(const std::vector<media::AudioFrame>& speech) {
  auto enc = *media::OpusEncoder::create({});
  const auto t0 = Steady::now();
  size_t n = 0;
  for (int pass = 0; pass < 5; ++pass) {
    for (const auto& f : speech) {
      (void)enc->encode(f);
      ++n;
    }
  }
  return std::chrono::duration<double, std::milli>(Steady::now() - t0).count() / static_cast<double>(n);
}

struct Call {
  AsioLoop* loop = nullptr;
  CountingRoom* room = nullptr;
  std::unique_ptr<agent::CallAgent> agent;
  // The caller's side (driver thread only).
  Steady::time_point next_question;
  size_t question = 0;       // questions asked so far
  size_t position = 0;       // frame within the question being asked
  bool asking = false;
  int replies_expected = 1;  // the greeting first
  std::vector<voice::TurnMetrics> turns;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct RunResult {
  int calls = 0;
  size_t turns = 0, missing = 0;
  std::vector<double> e2e, eou, stt, llm, tts, own;
  double cpu_per_call = 0;  // share of one core
};

RunResult run(int n_calls, size_t questions, const std::vector<std::vector<media::AudioFrame>>& asks, unsigned n_loops,
              const std::shared_ptr<const agent::ProviderSet>& providers, const std::shared_ptr<const Config>& config) {
  std::vector<std::unique_ptr<AsioLoop>> loops;
  for (unsigned i = 0; i < n_loops; ++i) loops.push_back(std::make_unique<AsioLoop>("call-" + std::to_string(i)));
  NoControl control;
  std::vector<Call> calls(static_cast<size_t>(n_calls));
  std::mt19937 rng(7);
  const auto start = Steady::now();
  for (size_t i = 0; i < calls.size(); ++i) {
    auto& c = calls[i];
    c.loop = loops[i % loops.size()].get();
    auto room = std::make_unique<CountingRoom>();
    room->loop = c.loop;
    c.room = room.get();
    // Staggered: calls do not all speak at the same instant.
    c.next_question = start + 3s + std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 4000)(rng));
    std::promise<void> started;
    c.loop->post([&, raw = room.release()] {
      std::unique_ptr<agent::CallRoom> owned(raw);
      c.agent = std::make_unique<agent::CallAgent>(*c.loop, SystemClock::instance(), config,
                                                   "bench-" + std::to_string(i),
                                                   agent::CallAgentDeps{std::move(owned), &control, providers, nullptr, nullptr, {}, {}},
                                                   log::root(), [](const std::string&) {});
      c.agent->start();
      c.room->events.on_joined({});
      c.room->events.on_caller({"caller-" + std::to_string(i), "TR_" + std::to_string(i), true, {}});
      started.set_value();
    });
    started.get_future().wait();
  }

  const double cpu0 = process_cpu_seconds();
  const auto wall0 = Steady::now();
  const auto silence = media::AudioFrame::silence(48000, 1, 20ms);
  auto tick = Steady::now();
  const auto deadline = tick + std::chrono::seconds(20 + 12 * questions);
  for (;;) {
    bool all_done = true;
    const auto now = Steady::now();
    for (auto& c : calls) {
      const bool answered = c.room->replies.load() >= c.replies_expected;
      if (!c.asking && answered && c.question < questions && now >= c.next_question) {
        c.asking = true;
        c.position = 0;
      }
      const media::AudioFrame* frame = &silence;
      if (c.asking) {
        const auto& ask = asks[c.question % asks.size()];
        frame = &ask[c.position++];
        if (c.position == ask.size()) {
          c.asking = false;
          ++c.question;
          ++c.replies_expected;
          c.next_question = now + 1500ms;  // and after the answer: see `answered`
        }
      }
      if (c.question < questions || c.asking || c.room->replies.load() < c.replies_expected) all_done = false;
      c.loop->post([&c, f = *frame] { c.room->events.on_caller_audio(f); });
    }
    if (all_done || now > deadline) break;
    tick += 20ms;
    std::this_thread::sleep_until(tick);
  }
  const double wall = std::chrono::duration<double>(Steady::now() - wall0).count();
  const double cpu = process_cpu_seconds() - cpu0;

  RunResult r;
  r.calls = n_calls;
  r.cpu_per_call = cpu / wall / n_calls;
  for (auto& c : calls) {
    std::promise<void> done;
    c.loop->post([&] {
      if (c.agent->pipeline()) c.turns = c.agent->pipeline()->turns();
      c.agent->stop("bench_over");
      c.agent.reset();
      done.set_value();
    });
    done.get_future().wait();
    r.missing += questions - std::min(questions, c.turns.size());
    if (std::getenv("PARLEY_BENCH_VERBOSE")) {
      std::fprintf(stderr, "call: %d replies, %llu frames out\n", c.room->replies.load(),
                   static_cast<unsigned long long>(c.room->frames.load()));
      for (const auto& t : c.turns) std::fprintf(stderr, "  turn %s\n", t.to_json().dump().c_str());
    }
    for (const auto& t : c.turns) {
      ++r.turns;
      if (!t.end_to_end || !t.end_of_utterance_delay) continue;
      r.e2e.push_back(*t.end_to_end * 1e3);
      r.eou.push_back(*t.end_of_utterance_delay * 1e3);
      if (t.stt_latency) r.stt.push_back(*t.stt_latency * 1e3);
      const double llm = t.llm_ttft.value_or(0) * 1e3, tts = t.tts_ttfb.value_or(0) * 1e3;
      r.llm.push_back(llm);
      r.tts.push_back(tts);
      r.own.push_back(*t.end_to_end * 1e3 - *t.end_of_utterance_delay * 1e3 - llm - tts);
    }
  }
  for (auto& l : loops) l->stop();
  return r;
}

std::vector<int> parse_calls(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    out.push_back(std::atoi(p));
    while (*p && *p != ',') ++p;
    if (*p == ',') ++p;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> call_counts = {1, 20};
  size_t questions = 3;
  unsigned n_loops = 2;
  int decoders = Config{}.providers.pocketsphinx.max_decoders;
  auto early_final = Config{}.voice.early_final;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--calls") == 0) call_counts = parse_calls(argv[i + 1]);
    else if (std::strcmp(argv[i], "--questions") == 0) questions = static_cast<size_t>(std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--loops") == 0) n_loops = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--decoders") == 0) decoders = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--early-final-ms") == 0) early_final = Millis(std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr,
                   "usage: bench_voice [--calls 1,20] [--questions 3] [--loops 2] [--decoders 4] [--early-final-ms 120]\n");
      return 2;
    }
  }
  if (call_counts.empty() || questions == 0 || n_loops == 0 || decoders < 1) {
    std::fprintf(stderr, "bench_voice: --calls, --questions, --loops and --decoders must be positive\n");
    return 2;
  }
  log::set_level(log::Level::kWarn);

  auto config = std::make_shared<Config>();
  config->providers.stt = {"pocketsphinx"};
  config->providers.tts = {"flite", "espeak-ng"};
  config->providers.llm = {"script"};
  config->providers.pocketsphinx.max_decoders = decoders;
  config->voice.early_final = early_final;
  config->agent.greeting = {{"en", "Hello, how can I help?"}};
  // Every decoder loaded before the first call, so that no run's CPU figure carries model loading.
  if (auto ps = providers::PocketsphinxStt::shared({.max_decoders = static_cast<size_t>(decoders)}); !ps || !(*ps)->warm_up()) {
    std::fprintf(stderr, "pocketsphinx: cannot load %d decoders\n", decoders);
    return 1;
  }
  AsioLoop net("net");
  auto providers = agent::ProviderSet::create(*config, net.io_context());
  if (!providers) {
    std::fprintf(stderr, "providers: %s\n", providers.error().to_string().c_str());
    return 1;
  }
  const std::vector<std::vector<media::AudioFrame>> asks = {
      flite_48k("what are your opening hours"), flite_48k("how much does it cost"), flite_48k("where are you located")};
  const double floor_ms = opus_encode_floor_ms(asks[0]);

  std::printf("voice agent latency, embedded engines (pocketsphinx, script, flite); %zu questions per call, %u call loops, %d pocketsphinx decoders\n",
              questions, n_loops, decoders);
  std::printf("reference: Opus encode of one 20 ms frame in this run = %.3f ms\n\n", floor_ms);
  std::printf("| calls | turns | e2e p50 ms | e2e p95 ms | end-of-utterance p50 | STT p50 | LLM TTFT p50 | TTS TTFB p50 | agent's own p50 ms | agent's own p95 ms | own p95 / encode floor | CPU per call (cores) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  int status = 0;
  for (int n : call_counts) {
    auto r = run(n, questions, asks, n_loops, *providers, config);
    std::printf("| %d | %zu (%zu unanswered) | %.0f | %.0f | %.0f | %.0f | %.1f | %.0f | %.1f | %.1f | %.0f× | %.3f |\n", n,
                r.turns, r.missing, percentile(r.e2e, 0.5), percentile(r.e2e, 0.95), percentile(r.eou, 0.5),
                percentile(r.stt, 0.5), percentile(r.llm, 0.5), percentile(r.tts, 0.5), percentile(r.own, 0.5),
                percentile(r.own, 0.95), percentile(r.own, 0.95) / floor_ms, r.cpu_per_call);
    std::fflush(stdout);
    if (r.e2e.empty()) status = 1;
  }
  return status;
}
