// parley say: joins a room, publishes a microphone track, speaks text (flite) or a WAV file,
// waits until all of it has been sent, and leaves.
//   parley say --room R (--text "…" | --wav F.wav) [--as ME]
#include <iostream>
#include <future>
#include <thread>

#include "cli/room_join.h"
#include "media/pcm_source.h"
#include "media/wav_reader.h"
#include "providers/tts/flite_tts.h"

namespace parley::cli {
namespace {

struct SayOptions {
  std::string room, text, wav, as = "parley-say";
  double lead = 1.0;  // seconds between publishing and speaking, so subscribers are ready
};

void run_say(CommandContext& ctx, const SayOptions& o) {
  if (o.text.empty() == o.wav.empty()) throw CliExit(kExitUsage, "give exactly one of --text or --wav");
  const Config& config = ctx.config();
  media::AudioFrame audio;
  if (!o.wav.empty()) {
    auto w = media::WavReader::read_file(o.wav);
    if (!w) throw CliExit(kExitUsage, "cannot read " + o.wav + ": " + w.error().message);
    audio = w->to_frame();
  } else {
    providers::FliteTts tts;
    providers::TtsRequest req;
    req.sample_rate = 48000;
    auto a = tts.synthesize(o.text, req);
    if (!a) throw CliExit(kExitFailed, "text-to-speech failed: " + a.error().message);
    audio = std::move(*a);
  }
  if (audio.empty()) throw CliExit(kExitUsage, "nothing to say: the audio is empty");

  std::atomic<bool> gone{false};
  livekit::RoomCallbacks cb;
  cb.on_disconnected = [&](const Error&) { gone = true; };
  auto joined = join_room(config, o.room, o.as, {}, cb);
  auto promise = std::make_shared<std::promise<Result<std::shared_ptr<livekit::LocalAudioTrack>>>>();
  auto future = promise->get_future();
  joined->room->publish_audio("parley", [promise](auto r) { promise->set_value(std::move(r)); });
  if (future.wait_for(std::chrono::seconds(15)) != std::future_status::ready) {
    throw CliExit(kExitFailed, "publishing the audio track timed out (no track_published from the server)");
  }
  auto track = future.get();
  if (!track) throw CliExit(kExitFailed, "cannot publish audio: " + track.error().to_string());
  std::cerr << "published track " << (*track)->sid() << " in room " << o.room << "\n";
  auto pcm = std::make_shared<media::PcmSource>();  // the track pulls from it on its tick
  (*track)->set_source(pcm);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.lead));
  // Push in 20 ms pieces as a live source would; at most 30 s can wait.
  const int step = audio.sample_rate / 50 * audio.channels;
  auto samples = audio.samples();
  for (size_t i = 0; i < samples.size(); i += static_cast<size_t>(step)) {
    size_t n = std::min(samples.size() - i, static_cast<size_t>(step));
    auto piece = media::AudioFrame::from_samples(audio.sample_rate, audio.channels, samples.subspan(i, n));
    while (pcm->queued() > std::chrono::seconds(5) && !gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (auto s = pcm->push(piece); !s) throw CliExit(kExitFailed, "cannot queue audio: " + s.error().message);
  }
  if (auto s = pcm->flush(); !s) throw CliExit(kExitFailed, "cannot queue audio: " + s.error().message);
  auto deadline = std::chrono::steady_clock::now() + audio.duration() + std::chrono::seconds(10);
  while (pcm->queued() > std::chrono::milliseconds(0) && !gone && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (gone) throw CliExit(kExitFailed, "disconnected before all audio was sent");
  // Let the last packets leave and reach subscribers before leaving.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::cerr << "sent " << (*track)->frames_sent() * 20 / 1000.0 << " s of audio\n";
}

const CommandRegistrar registrar(61, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<SayOptions>();
  auto* cmd = root.add_subcommand("say", "join a room and speak text or a WAV file");
  cmd->add_option("--room", o->room, "room name")->required();
  cmd->add_option("--text", o->text, "text to speak (flite)");
  cmd->add_option("--wav", o->wav, "WAV file to play");
  cmd->add_option("--as", o->as, "identity to join as (default parley-say)");
  cmd->add_option("--lead", o->lead, "seconds to wait after publishing before speaking");
  cmd->callback([&ctx, o] { run_say(ctx, *o); });
});

}  // namespace
}  // namespace parley::cli
