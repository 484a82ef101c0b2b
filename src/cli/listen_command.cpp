// parley listen: joins a room and records one participant's audio to a WAV file.
//   parley listen --room R [--identity P] --seconds N --out F.wav [--as ME] [--rate 48000]
// Without --identity the first audio track heard is recorded. Exits 1 when nothing arrived.
#include <condition_variable>
#include <iostream>
#include <mutex>

#include "cli/room_join.h"
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
  const Config& config = ctx.config();
  if (o.seconds <= 0 || o.seconds > 3600) throw CliExit(kExitUsage, "--seconds must be between 0 and 3600");
  media::WavWriter wav;
  if (auto s = wav.open(o.out, o.rate, 1); !s) throw CliExit(kExitUsage, "cannot write " + o.out + ": " + s.error().message);

  std::mutex m;
  std::condition_variable cv;
  std::string track_sid, who;
  int64_t frames = 0;
  const int64_t want = static_cast<int64_t>(o.seconds * 50);
  std::optional<Error> gone;
  Status write_status;

  livekit::RoomOptions ro;
  ro.audio_sample_rate = o.rate;
  livekit::RoomCallbacks cb;
  cb.on_audio = [&](const livekit::RemoteTrack& t, const media::AudioFrame& f) {
    std::lock_guard l(m);
    if (!o.identity.empty() && t.participant_identity != o.identity) return;
    if (track_sid.empty()) {
      track_sid = t.sid;
      who = t.participant_identity;
    }
    if (t.sid != track_sid || frames >= want) return;
    if (auto s = wav.write(f); !s) write_status = s;
    if (++frames >= want) cv.notify_all();
  };
  cb.on_disconnected = [&](const Error& e) {
    std::lock_guard l(m);
    gone = e;
    cv.notify_all();
  };
  auto joined = join_room(config, o.room, o.as, ro, cb);
  std::cerr << "joined room " << o.room << " as " << o.as << "; recording " << (o.identity.empty() ? "the first speaker" : o.identity)
            << "\n";
  {
    std::unique_lock l(m);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.seconds + o.wait);
    cv.wait_until(l, deadline, [&] { return frames >= want || gone.has_value() || !write_status; });
  }
  joined.reset();  // leave before finishing the file
  std::lock_guard l(m);
  if (auto s = wav.close(); !s) throw CliExit(kExitFailed, "cannot finish " + o.out + ": " + s.error().message);
  if (!write_status) throw CliExit(kExitFailed, "cannot write " + o.out + ": " + write_status.error().message);
  if (frames == 0) {
    throw CliExit(kExitFailed, gone ? "disconnected: " + gone->to_string()
                                    : "no audio from " + (o.identity.empty() ? std::string("anyone") : o.identity) + " in the room");
  }
  std::cerr << "recorded " << frames * 20 / 1000.0 << " s of " << who << " (" << track_sid << ") to " << o.out << "\n";
  if (gone && frames < want) throw CliExit(kExitFailed, "disconnected early: " + gone->to_string());
}

const CommandRegistrar registrar(60, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<ListenOptions>();
  auto* cmd = root.add_subcommand("listen", "join a room and record a participant's audio to a WAV file");
  cmd->add_option("--room", o->room, "room name")->required();
  cmd->add_option("--identity", o->identity, "participant to record (default: the first one heard)");
  cmd->add_option("--seconds", o->seconds, "seconds of audio to record")->required();
  cmd->add_option("--out", o->out, "WAV file to write")->required();
  cmd->add_option("--as", o->as, "identity to join as");
  cmd->add_option("--rate", o->rate, "sample rate of the WAV file")->check(CLI::IsMember({8000, 16000, 24000, 48000}));
  cmd->add_option("--wait", o->wait, "seconds to wait for audio to start");
  cmd->callback([&ctx, o] { run_listen(ctx, *o); });
});

}  // namespace
}  // namespace parley::cli
