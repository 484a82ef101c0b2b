// parley listen: joins a room and records one participant's audio to a WAV file.
//   parley listen --room R [--identity P] --seconds N --out F.wav [--as ME] [--rate 48000] [--wait S]
// Without --identity the first audio track heard is recorded. The recording ends at the first of:
// --seconds of wall time since the first audio (a speaker who falls silent sends nothing, so
// counting received audio alone would wait on), --seconds of audio, the speaker leaving the room,
// or SIGINT/SIGTERM; it says which, and the WAV file is finished in every case. Exits 1 when
// nothing arrived or on a signal.
#include <condition_variable>
#include <iomanip>
#include <iostream>
#include <mutex>

#include "cli/room_join.h"
#include "cli/stop_signals.h"
#include "media/wav_writer.h"

namespace parley::cli {
namespace {

struct ListenOptions {
  std::string room, identity, out, as = "parley-listen";
  double seconds = 5;
  int rate = 48000;
  double wait = 30;
};

void run_listen(CommandContext& ctx, const ListenOptions& o) {
  using Clock = std::chrono::steady_clock;
  const Config& config = ctx.config();
  if (o.seconds <= 0 || o.seconds > 3600) throw CliExit(kExitUsage, "--seconds must be between 0 and 3600");
  if (o.wait <= 0) throw CliExit(kExitUsage, "--wait must be more than 0");
  media::WavWriter wav;
  if (auto s = wav.open(o.out, o.rate, 1); !s) throw CliExit(kExitUsage, "cannot write " + o.out + ": " + s.error().message);

  std::mutex m;
  std::condition_variable cv;
  std::string track_sid, who, left;
  int64_t frames = 0;
  const int64_t want = static_cast<int64_t>(o.seconds * 50);
  std::optional<Clock::time_point> first_audio;
  std::optional<Error> gone;
  Status write_status;
  int signo = 0;

  // Before join_room: the room's threads inherit the blocked signals.
  StopSignals signals([&](int s) {
    std::lock_guard l(m);
    signo = s;
    cv.notify_all();
  });
  livekit::RoomOptions ro;
  ro.audio_sample_rate = o.rate;
  livekit::RoomCallbacks cb;
  cb.on_audio = [&](const livekit::RemoteTrack& t, const media::AudioFrame& f) {
    std::lock_guard l(m);
    if (!o.identity.empty() && t.participant_identity != o.identity) return;
    if (track_sid.empty()) {
      track_sid = t.sid;
      who = t.participant_identity;
      first_audio = Clock::now();
      cv.notify_all();  // the deadline moves to first audio + --seconds
    }
    if (t.sid != track_sid || frames >= want || signo != 0) return;
    if (auto s = wav.write(f); !s) write_status = s;
    if (++frames >= want) cv.notify_all();
  };
  cb.on_participant_left = [&](const livekit::Participant& p) {
    std::lock_guard l(m);
    // Before any audio, only the named speaker's leaving ends the wait (the first one heard is not known yet).
    if ((!who.empty() && p.identity == who) || (who.empty() && !o.identity.empty() && p.identity == o.identity)) {
      left = p.identity;
      cv.notify_all();
    }
  };
  cb.on_disconnected = [&](const Error& e) {
    std::lock_guard l(m);
    gone = e;
    cv.notify_all();
  };
  auto joined = join_room(config, o.room, o.as, ro, cb);
  std::cerr << "joined room " << o.room << " as " << o.as << "; recording " << (o.identity.empty() ? "the first speaker" : o.identity)
            << "\n";
  std::string why;
  {
    std::unique_lock l(m);
    const auto joined_at = Clock::now();
    auto ended = [&] { return frames >= want || gone || !write_status || !left.empty() || signo != 0; };
    for (;;) {
      const auto deadline = first_audio ? *first_audio + std::chrono::duration<double>(o.seconds)
                                        : joined_at + std::chrono::duration<double>(o.wait);
      const bool had_audio = first_audio.has_value();
      if (cv.wait_until(l, deadline, [&] { return ended() || first_audio.has_value() != had_audio; })) {
        if (ended()) break;
        continue;  // the first audio arrived: wait on the new deadline
      }
      why = first_audio ? "--seconds " + std::to_string(static_cast<int>(o.seconds)) + " s of wall time passed since the first audio"
                        : "no audio within --wait";
      break;
    }
    if (signo != 0) {
      why = std::string("interrupted by ") + signal_name(signo);
    } else if (!left.empty()) {
      why = left + " left the room";
    } else if (frames >= want) {
      why = "--seconds of audio recorded";
    }
  }
  joined.reset();  // leave before finishing the file
  std::lock_guard l(m);
  if (auto s = wav.close(); !s) throw CliExit(kExitFailed, "cannot finish " + o.out + ": " + s.error().message);
  if (!write_status) throw CliExit(kExitFailed, "cannot write " + o.out + ": " + write_status.error().message);
  if (gone && why.empty()) why = "disconnected: " + gone->to_string();
  std::cerr << "stopped: " << why << "\n";
  if (frames > 0) {
    std::cerr << "recorded " << std::fixed << std::setprecision(2) << frames * 20 / 1000.0 << " s of " << who << " ("
              << track_sid << ") to " << o.out << "\n";
  }
  if (signo != 0) throw CliExit(kExitFailed, why + (frames > 0 ? "; " + o.out + " holds what was recorded" : ""));
  if (frames == 0) {
    throw CliExit(kExitFailed, gone ? "disconnected: " + gone->to_string()
                                    : "no audio from " + (o.identity.empty() ? std::string("anyone") : o.identity) + " in the room");
  }
  if (gone && frames < want) throw CliExit(kExitFailed, "disconnected early: " + gone->to_string());
}

const CommandRegistrar registrar(60, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<ListenOptions>();
  auto* cmd = root.add_subcommand("listen", "join a room and record a participant's audio to a WAV file");
  cmd->add_option("--room", o->room, "room name")->required();
  cmd->add_option("--identity", o->identity, "participant to record (default: the first one heard)");
  cmd->add_option("--seconds", o->seconds,
                  "stop this many seconds (wall time) after the first audio; also stops when the speaker leaves")
      ->required();
  cmd->add_option("--out", o->out, "WAV file to write (finished even on SIGINT/SIGTERM)")->required();
  cmd->add_option("--as", o->as, "identity to join as (default parley-listen)");
  cmd->add_option("--rate", o->rate, "sample rate of the WAV file")->check(CLI::IsMember({8000, 16000, 24000, 48000}));
  cmd->add_option("--wait", o->wait, "seconds to wait for audio to start");
  cmd->callback([&ctx, o] { run_listen(ctx, *o); });
});

}  // namespace
}  // namespace parley::cli
