// bench_caller: the waterfall's WebRTC caller written with parley's own livekit::Room, so a
// turn's latency can be measured with a lean caller, and with N calls at once (one process, one
// small LoopPool, a thread per call). Driven by bench/waterfall/waterfall_bench.py --caller cpp.
//
// Per call (room): join, publish a microphone that sends silence when there is nothing to say
// (caller_mic.h), hear the agent's greeting (its first audible frame, its final transcript, then
// 1 s without an audible frame), then ask the questions in turn: each trimmed of its trailing
// quiet, its end (`done_unix`) the wall time the track took the frame with its last voiced
// sample; the answer's first audible frame after that (`heard_unix`), its final transcript, and
// 1 s of quiet before the next question. Audible: a frame's peak above 500 (of 32767), as
// waterfall_bench.py counts it.
//
// stdout, one JSON object a line: per call {"room","connect_unix","greeting_heard_unix","greeting"},
// per turn {"room","question","done_unix","heard_unix","answer"}. Times are Unix seconds.
// Errors go to stderr; exit 1 when a join failed or something timed out (it says what).
//
//   bench_caller --rooms r1,r2 --question q0.wav [--question q1.wav …] [--questions K]
//                [--agent parley-agent] [--identity bench-caller]
// Reads LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET (default: the local dev server).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../common/local_stack.h"
#include "caller_mic.h"
#include "core/log.h"
#include "core/loop_pool.h"
#include "livekit/room/room.h"
#include "media/resampler.h"
#include "media/wav_reader.h"

using namespace parley;
namespace lk = parley::livekit;

namespace {

constexpr int kAudible = 500;  // waterfall_bench.AUDIBLE
constexpr double kQuiet = 1.0;  // seconds without an audible agent frame: the agent is done speaking
constexpr double kTimeout = 30.0;

struct Args {
  std::vector<std::string> rooms, questions;
  int per_call = 4;
  double stagger = 0;  // seconds between one call's start and the next one's
  std::string agent = "parley-agent", identity = "bench-caller";
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "bench_caller: %s\nusage: bench_caller --rooms r1,r2,... --question F.wav [--question F2.wav ...] "
               "[--questions K] [--stagger S] [--agent parley-agent] [--identity bench-caller]\n",
               problem.c_str());
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(k + " needs a value");
      return argv[++i];
    };
    if (k == "--rooms") {
      std::string list = next();
      for (size_t start = 0; start <= list.size();) {
        size_t comma = std::min(list.find(',', start), list.size());
        if (comma > start) a.rooms.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (k == "--question") {
      a.questions.push_back(next());
    } else if (k == "--questions") {
      a.per_call = std::atoi(next().c_str());
    } else if (k == "--stagger") {
      a.stagger = std::atof(next().c_str());
    } else if (k == "--agent") {
      a.agent = next();
    } else if (k == "--identity") {
      a.identity = next();
    } else {
      usage("unknown option " + k);
    }
  }
  if (a.rooms.empty()) usage("give the rooms with --rooms r1,r2,...");
  if (a.questions.empty()) usage("give at least one --question F.wav");
  if (a.per_call < 1) usage("--questions must be at least 1");
  if (a.stagger < 0 || a.stagger > 60) usage("--stagger must be between 0 and 60 seconds");
  return a;
}

std::string token_for(const std::string& room, const std::string& identity) {
  auto t = bench::local_join_token(room, identity);
  if (!t) throw std::runtime_error("cannot mint a token: " + t.error().to_string());
  return *t;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A question WAV (any rate) without its trailing quiet (waterfall_bench.trim_silence), at 48 kHz.
media::AudioFrame load_question(const std::string& path) {
  auto w = media::WavReader::read_file(path);
  if (!w) throw std::runtime_error("cannot read " + path + ": " + w.error().message);
  media::AudioFrame pcm = media::to_mono(w->to_frame());
  auto s = pcm.samples();
  size_t end = s.size();
  while (end > 0 && std::abs(static_cast<int>(s[end - 1])) <= kAudible) --end;
  if (end == 0) throw std::runtime_error(path + " has no sample above " + std::to_string(kAudible) + ": nothing to say");
  auto trimmed = media::AudioFrame::from_samples(pcm.sample_rate, 1, s.first(end));
  auto out = media::Resampler::convert(trimmed, 48000);
  if (!out) throw std::runtime_error("cannot resample " + path + ": " + out.error().to_string());
  return std::move(*out);
}

void print_line(const nlohmann::json& j) {
  static std::mutex m;
  std::lock_guard l(m);
  std::fputs((j.dump() + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// What one call hears of the agent, written on the room's media loop, read on the call's thread.
struct Heard {
  std::mutex m;
  std::condition_variable cv;
  std::vector<double> audible;  // arrival (Unix s) of each audible agent frame, in order
  std::vector<std::string> finals;  // the agent's final lk.transcription texts, in order
  std::string mic_track_sid;        // our track: transcripts of it are our own words
  bool gone = false;
  std::string gone_why;
};

class Call {
 public:
  Call(LoopPool& loops, const Args& a, std::string room, const std::vector<media::AudioFrame>& questions)
      : loops_(loops), a_(a), room_name_(std::move(room)), questions_(questions) {}

  void run() {
    const double connect_unix = unix_now();
    join();
    const double greeting_heard = wait_audible_after(connect_unix, "the greeting's first audible frame");
    const std::string greeting = wait_final(0, "the greeting's final transcript");
    wait_quiet("the agent to be quiet after the greeting");
    print_line({{"room", room_name_}, {"connect_unix", connect_unix}, {"greeting_heard_unix", greeting_heard},
                {"greeting", greeting}});
    for (int q = 0; q < a_.per_call; ++q) ask(q);
    room_->leave_sync();
    room_.reset();
  }

  ~Call() {
    if (room_) room_->leave_sync();
  }

 private:
  void join() {
    lk::RoomOptions o;
    o.auto_subscribe = true;
    o.audio_sample_rate = 48000;
    lk::RoomCallbacks cb;
    auto heard = heard_;
    const std::string agent = a_.agent;
    cb.on_audio = [heard, agent](const lk::RemoteTrack& t, const media::AudioFrame& f) {
      if (t.participant_identity != agent) return;
      const double at = unix_now();
      int peak = 0;
      for (int16_t x : f.samples()) peak = std::max(peak, std::abs(static_cast<int>(x)));
      if (peak <= kAudible) return;
      std::lock_guard l(heard->m);
      heard->audible.push_back(at);
      heard->cv.notify_all();
    };
    cb.on_text = [heard, agent](const lk::TextMessage& t) {
      if (t.topic != "lk.transcription" || t.sender_identity != agent) return;
      auto final_it = t.attributes.find("lk.transcription_final");
      if (final_it == t.attributes.end() || final_it->second != "true") return;
      std::lock_guard l(heard->m);
      auto track = t.attributes.find("lk.transcribed_track_id");
      if (track != t.attributes.end() && !heard->mic_track_sid.empty() && track->second == heard->mic_track_sid) return;
      heard->finals.push_back(t.text);
      heard->cv.notify_all();
    };
    cb.on_disconnected = [heard](const Error& e) {
      std::lock_guard l(heard->m);
      heard->gone = true;
      heard->gone_why = e.to_string();
      heard->cv.notify_all();
    };
    auto r = lk::Room::connect_sync(loops_, bench::local_url(),
                                    token_for(room_name_, a_.identity), o, cb);
    if (!r) throw std::runtime_error("cannot join: " + r.error().to_string());
    room_ = *r;
    std::promise<Result<std::shared_ptr<lk::LocalAudioTrack>>> published;
    auto future = published.get_future();
    room_->publish_audio("caller-mic", [&published](auto t) { published.set_value(std::move(t)); });
    if (future.wait_for(std::chrono::seconds(15)) != std::future_status::ready) {
      throw std::runtime_error("timed out after 15 s publishing the microphone (no track_published)");
    }
    auto track = future.get();
    if (!track) throw std::runtime_error("cannot publish the microphone: " + track.error().to_string());
    track_ = *track;
    {
      std::lock_guard l(heard_->m);
      heard_->mic_track_sid = track_->sid();
    }
    track_->set_source(mic_);
  }

  void ask(int q) {
    const size_t before = finals_count();
    if (auto s = mic_->say(questions_[static_cast<size_t>(q) % questions_.size()], kAudible); !s) {
      throw std::runtime_error("cannot say question " + std::to_string(q) + ": " + s.error().message);
    }
    const auto clip = questions_[static_cast<size_t>(q) % questions_.size()].duration();
    const auto deadline = std::chrono::steady_clock::now() + clip + std::chrono::seconds(5);
    double done = 0;
    while ((done = mic_->done_unix()) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("timed out sending question " + std::to_string(q) + " (the track took no frames)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const double heard = wait_audible_after(done, "the first audible frame of answer " + std::to_string(q));
    const std::string answer = wait_final(before, "the final transcript of answer " + std::to_string(q));
    wait_quiet("the agent to be quiet after answer " + std::to_string(q));
    print_line({{"room", room_name_}, {"question", q}, {"done_unix", done}, {"heard_unix", heard}, {"answer", answer}});
  }

  size_t finals_count() {
    std::lock_guard l(heard_->m);
    return heard_->finals.size();
  }

  // Waits on the agent's state until pred() holds; throws naming `what` after kTimeout.
  template <class Pred>
  void wait(std::unique_lock<std::mutex>& l, const std::string& what, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(kTimeout);
    while (!pred()) {
      if (heard_->gone) throw std::runtime_error("disconnected while waiting for " + what + ": " + heard_->gone_why);
      if (heard_->cv.wait_until(l, deadline) == std::cv_status::timeout && !pred()) {
        throw std::runtime_error("timed out after " + std::to_string(static_cast<int>(kTimeout)) + " s waiting for " + what);
      }
    }
  }

  double wait_audible_after(double t, const std::string& what) {
    std::unique_lock l(heard_->m);
    double at = 0;
    wait(l, what, [&] {
      auto it = std::lower_bound(heard_->audible.begin(), heard_->audible.end(), t);
      if (it == heard_->audible.end()) return false;
      at = *it;
      return true;
    });
    return at;
  }

  std::string wait_final(size_t index, const std::string& what) {
    std::unique_lock l(heard_->m);
    wait(l, what, [&] { return heard_->finals.size() > index; });
    return heard_->finals[index];
  }

  // Until no audible agent frame has arrived for kQuiet seconds (the agent may send nothing at
  // all while quiet, so this is wall time since the last audible one).
  void wait_quiet(const std::string& what) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::duration<double>(kTimeout);
    std::unique_lock l(heard_->m);
    for (;;) {
      const double last = heard_->audible.empty() ? 0 : heard_->audible.back();
      const double left = last + kQuiet - unix_now();
      if (left <= 0) return;
      if (heard_->gone) throw std::runtime_error("disconnected while waiting for " + what + ": " + heard_->gone_why);
      if (std::chrono::steady_clock::now() > give_up) {
        throw std::runtime_error("timed out after " + std::to_string(static_cast<int>(kTimeout)) + " s waiting for " + what);
      }
      heard_->cv.wait_for(l, std::chrono::duration<double>(left));
    }
  }

  LoopPool& loops_;
  const Args& a_;
  std::string room_name_;
  const std::vector<media::AudioFrame>& questions_;
  std::shared_ptr<Heard> heard_ = std::make_shared<Heard>();
  std::shared_ptr<bench::CallerMic> mic_ = std::make_shared<bench::CallerMic>();
  std::shared_ptr<lk::Room> room_;
  std::shared_ptr<lk::LocalAudioTrack> track_;
};

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  // Warnings only, unless PARLEY_CALLER_LOG_LEVEL asks for more (a failed call's signalling).
  log::Level level = log::Level::kWarn;
  if (const char* env = std::getenv("PARLEY_CALLER_LOG_LEVEL"); env && !log::parse_level(env, level)) {
    std::fprintf(stderr, "bench_caller: bad PARLEY_CALLER_LOG_LEVEL %s\n", env);
    return 2;
  }
  log::set_level(level);
  std::vector<media::AudioFrame> questions;
  try {
    for (const auto& path : a.questions) questions.push_back(load_question(path));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_caller: %s\n", e.what());
    return 2;
  }
  LoopPool loops(1, 1);  // the caller's side is light: one media and one I/O loop for all calls
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < a.rooms.size(); ++i) {
    threads.emplace_back([&, room = a.rooms[i], i] {
      std::this_thread::sleep_for(std::chrono::duration<double>(a.stagger * static_cast<double>(i)));
      try {
        Call call(loops, a, room, questions);
        call.run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_caller: room %s: %s\n", room.c_str(), e.what());
        failed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed > 0) {
    std::fprintf(stderr, "bench_caller: %d of %zu calls failed\n", failed.load(), a.rooms.size());
    return 1;
  }
  return 0;
}
