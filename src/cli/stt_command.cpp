// parley stt: recognises the speech in a WAV file with the embedded pocketsphinx (English,
// offline) and prints the text. For checking audio, and for tests that need to hear what the
// agent said.
//   parley stt --wav answer.wav [--json]
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "media/wav_reader.h"
#include "providers/stt/pocketsphinx_stt.h"

namespace parley::cli {
namespace {

struct SttOptions {
  std::string wav, lang = "en", model_dir;
};

void run_stt(CommandContext& ctx, const SttOptions& o) {
  auto audio = media::WavReader::read_file(o.wav);
  if (!audio) throw CliExit(kExitUsage, audio.error().message);
  providers::PocketsphinxOptions po;
  if (!o.model_dir.empty()) po.model_dir = o.model_dir;
  po.max_decoders = 1;
  auto stt = providers::PocketsphinxStt::create(po);
  if (!stt) throw CliExit(kExitFailed, stt.error().message);
  providers::SttRequest req;
  req.language = o.lang;
  auto result = (*stt)->recognize(audio->to_frame(), req);
  if (!result) {
    throw CliExit(result.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailed, result.error().message);
  }
  const double seconds = audio->sample_rate > 0 ? static_cast<double>(audio->frames()) / audio->sample_rate : 0.0;
  if (ctx.opts.json) {
    nlohmann::ordered_json j;
    j["file"] = o.wav;
    j["engine"] = "pocketsphinx";
    j["language"] = result->language;
    j["seconds"] = seconds;
    j["sample_rate"] = audio->sample_rate;
    j["text"] = result->text;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << result->text << "\n";
  }
}

const CommandRegistrar registrar(61, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<SttOptions>();
  auto* cmd = root.add_subcommand("stt", "recognise English speech in a WAV file with pocketsphinx (offline)");
  cmd->add_option("--wav", o->wav, "a 16-bit PCM WAV file (any rate; 16 kHz or more recognises best)")->required();
  cmd->add_option("--lang", o->lang, "language (pocketsphinx: en)");
  cmd->add_option("--model-dir", o->model_dir, "pocketsphinx model directory (default: Debian's en-us model)");
  cmd->callback([&ctx, o] { run_stt(ctx, *o); });
});

}  // namespace
}  // namespace parley::cli
