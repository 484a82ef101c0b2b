// parley tts: speaks text into a WAV file with an embedded engine (offline). For checking a
// voice, and for tests that need a caller's speech.
//   parley tts --text "what are your opening hours" --out q.wav [--voice flite|espeak-ng]
//              [--lang en|ru|…] [--rate 48000] [--json]
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/stop_signals.h"
#include "media/wav_writer.h"
#include "providers/tts/espeak_tts.h"
#include "providers/tts/flite_tts.h"

namespace parley::cli {
namespace {

struct TtsOptions {
  std::string text, out, voice, lang = "en";
  int rate = 48000;
};

void run_tts(CommandContext& ctx, const TtsOptions& o) {
  ctx.refuse_configuration("tts", "--voice, --lang, --rate");
  // flite speaks English; everything else goes to espeak-ng.
  const std::string engine = !o.voice.empty() ? o.voice : (o.lang == "en" || o.lang.starts_with("en-") ? "flite" : "espeak-ng");
  std::unique_ptr<providers::TtsProvider> tts;
  if (engine == "flite") {
    tts = std::make_unique<providers::FliteTts>();
  } else if (engine == "espeak-ng" || engine == "espeak") {
    tts = std::make_unique<providers::EspeakTts>();
  } else {
    throw CliExit(kExitUsage, "--voice '" + engine + "' is not flite or espeak-ng");
  }
  if (!tts->supports_language(o.lang)) {
    throw CliExit(kExitUsage, std::string(tts->name()) + " cannot speak --lang '" + o.lang + "'" +
                                  (engine == "flite" ? " (use --voice espeak-ng)" : ""));
  }
  providers::TtsRequest req;
  req.language = o.lang;
  req.sample_rate = o.rate;
  // SIGINT/SIGTERM wait until synthesis is over; the file is then written whole or not at all.
  StopSignals signals({});
  auto audio = tts->synthesize(o.text, req);
  if (signals.received() != 0) {
    throw CliExit(kExitFailed, std::string("interrupted by ") + signal_name(signals.received()) + "; " + o.out + " not written");
  }
  if (!audio) {
    throw CliExit(audio.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailed, audio.error().message);
  }
  media::WavAudio wav;
  wav.sample_rate = audio->sample_rate;
  wav.channels = 1;
  wav.samples = std::move(audio->data);
  if (auto st = media::WavWriter::write_file(o.out, wav); !st) throw CliExit(kExitFailed, st.error().message);
  const double seconds = static_cast<double>(wav.frames()) / wav.sample_rate;
  if (ctx.opts.json) {
    nlohmann::ordered_json j;
    j["file"] = o.out;
    j["engine"] = tts->name();
    j["language"] = o.lang;
    j["sample_rate"] = wav.sample_rate;
    j["seconds"] = seconds;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "wrote " << o.out << ": " << std::fixed << std::setprecision(2) << seconds << " s at "
              << wav.sample_rate << " Hz (" << tts->name() << ", " << o.lang << ")\n";
  }
}

const CommandRegistrar registrar(60, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<TtsOptions>();
  auto* cmd = root.add_subcommand("tts", "speak text into a WAV file with an embedded engine (offline)");
  cmd->add_option("--text", o->text, "what to say (a sentence or two)")->required();
  cmd->add_option("--out", o->out, "the WAV file to write (16-bit PCM, mono)")->required();
  cmd->add_option("--voice", o->voice, "engine: flite (English) or espeak-ng (Russian and more); default by --lang");
  cmd->add_option("--lang", o->lang, "language, e.g. en, ru (default en)");
  cmd->add_option("--rate", o->rate, "sample rate of the file (default 48000)")->check(CLI::Range(8000, 192000));
  cmd->callback([&ctx, o] { run_tts(ctx, *o); });
});

}  // namespace
}  // namespace parley::cli
