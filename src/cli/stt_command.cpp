// parley stt: recognises the speech in WAV files with the embedded pocketsphinx (English,
// offline) and prints the text. For checking audio, for tests that need to hear what the agent
// said, and for weighing the recogniser's search limit (bench/stt): one model load for many
// files, and each file's decoding CPU in the JSON.
//   parley stt --wav answer.wav [--wav more.wav ...] [--same-caller] [--max-hmms-per-frame N]
//     [--max-words-per-frame N] [--json]
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "media/wav_reader.h"
#include "providers/stt/pocketsphinx_stt.h"

namespace parley::cli {
namespace {

struct SttOptions {
  std::vector<std::string> wavs;
  std::string lang = "en", model_dir;
  int max_hmms_per_frame = providers::PocketsphinxOptions{}.max_hmms_per_frame;
  int max_words_per_frame = providers::PocketsphinxOptions{}.max_words_per_frame;
  bool no_second_pass = false;  // providers.pocketsphinx.second_pass: false
  bool same_caller = false;  // the files are one call's utterances: the line's estimate carries over
};

double process_cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// One file: what it says, and what recognising it cost.
nlohmann::ordered_json recognise(providers::PocketsphinxStt& stt, const std::string& path, const SttOptions& o,
                                 const std::shared_ptr<providers::SttChannel>& channel) {
  auto audio = media::WavReader::read_file(path);
  if (!audio) throw CliExit(kExitUsage, audio.error().message);
  providers::SttRequest req;
  req.language = o.lang;
  req.channel = channel;
  const double cpu0 = process_cpu_seconds();
  auto result = stt.recognize(audio->to_frame(), req);
  const double cpu = process_cpu_seconds() - cpu0;
  if (!result) {
    throw CliExit(result.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailed,
                  path + ": " + result.error().message);
  }
  nlohmann::ordered_json j;
  j["file"] = path;
  j["engine"] = "pocketsphinx";
  j["language"] = result->language;
  j["seconds"] = audio->sample_rate > 0 ? static_cast<double>(audio->frames()) / audio->sample_rate : 0.0;
  j["sample_rate"] = audio->sample_rate;
  j["max_hmms_per_frame"] = o.max_hmms_per_frame;
  j["max_words_per_frame"] = o.max_words_per_frame;
  j["second_pass"] = !o.no_second_pass;
  j["decode_cpu_seconds"] = cpu;
  j["text"] = result->text;
  return j;
}

void run_stt(CommandContext& ctx, const SttOptions& o) {
  ctx.refuse_configuration("stt", "--model-dir, --max-hmms-per-frame, --max-words-per-frame, --no-second-pass, --lang");
  providers::PocketsphinxOptions po;
  if (!o.model_dir.empty()) po.model_dir = o.model_dir;
  po.max_decoders = 1;
  po.max_hmms_per_frame = o.max_hmms_per_frame;
  po.max_words_per_frame = o.max_words_per_frame;
  po.second_pass = !o.no_second_pass;
  auto stt = providers::PocketsphinxStt::create(po);
  if (!stt) throw CliExit(kExitFailed, stt.error().message);
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  const auto channel = o.same_caller ? std::make_shared<providers::SttChannel>() : nullptr;
  for (const auto& path : o.wavs) {
    auto j = recognise(**stt, path, o, channel);
    if (ctx.opts.json) {
      all.push_back(std::move(j));
    } else if (o.wavs.size() == 1) {
      std::cout << j["text"].get<std::string>() << "\n";
    } else {
      std::cout << path << "\t" << j["text"].get<std::string>() << std::endl;
    }
  }
  // One file: the object itself (as before several were allowed); several: an array of them.
  if (ctx.opts.json) std::cout << (all.size() == 1 ? all[0] : all).dump(2) << "\n";
}

const CommandRegistrar registrar(61, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<SttOptions>();
  auto* cmd = root.add_subcommand("stt", "recognise English speech in a WAV file with pocketsphinx (offline)");
  cmd->add_option("--wav", o->wavs, "a 16-bit PCM WAV file (any rate; 16 kHz or more recognises best); repeat for more")
      ->required();
  cmd->add_option("--lang", o->lang, "language (pocketsphinx: en)");
  cmd->add_option("--model-dir", o->model_dir, "pocketsphinx model directory (default: Debian's en-us model)");
  cmd->add_option("--max-hmms-per-frame", o->max_hmms_per_frame,
                  "the search's limit per 10 ms frame (providers.pocketsphinx.max_hmms_per_frame)")
      ->check(CLI::Range(100, 1000000));
  cmd->add_option("--max-words-per-frame", o->max_words_per_frame,
                  "how many words may end in one 10 ms frame of the search, 0: no limit "
                  "(providers.pocketsphinx.max_words_per_frame)")
      ->check(CLI::Range(0, 100000));
  cmd->add_flag("--no-second-pass", o->no_second_pass,
                "skip the recogniser's second pass over each utterance (providers.pocketsphinx.second_pass: false)");
  cmd->add_flag("--same-caller", o->same_caller,
                "the files are one caller's utterances, in order: what the recogniser learns of the line carries "
                "over, as within a call");
  cmd->callback([&ctx, o] { run_stt(ctx, *o); });
});

}  // namespace
}  // namespace parley::cli
