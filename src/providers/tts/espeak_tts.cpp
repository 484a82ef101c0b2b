#include "providers/tts/espeak_tts.h"

#include <espeak-ng/speak_lib.h>

#include <cctype>
#include <mutex>
#include <string>

#include "media/resampler.h"

namespace parley::providers {

namespace {

// A sentence longer than this much audio is cut off (bounds memory per synthesis).
constexpr int kMaxSeconds = 120;

std::mutex& espeak_mutex() {
  static std::mutex m;
  return m;
}

struct Collect {
  media::SecureVector<int16_t>* out;
  size_t max_samples;
};

// Called by espeak_Synth on the calling thread (synchronous mode); must not throw.
int on_samples(short* wav, int count, espeak_EVENT* events) noexcept {
  if (events == nullptr || events->user_data == nullptr) return 1;
  auto* c = static_cast<Collect*>(events->user_data);
  if (wav == nullptr || count <= 0) return 0;
  if (c->out->size() + static_cast<size_t>(count) > c->max_samples) return 1;  // abort
  c->out->insert(c->out->end(), wav, wav + count);
  return 0;
}

// Under espeak_mutex(). espeak-ng's sample rate, or -1 when it cannot start (no data files).
int engine_rate() {
  static int rate = [] {
    // DONT_EXIT: report errors instead of exiting the process.
    int r = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 200, nullptr, espeakINITIALIZE_DONT_EXIT);
    if (r > 0) espeak_SetSynthCallback(on_samples);
    return r;
  }();
  return rate;
}

bool valid_voice_name(std::string_view v) {
  if (v.empty() || v.size() > 40) return false;
  for (char c : v) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '+') return false;
  }
  return true;
}

}  // namespace

bool EspeakTts::supports_language(std::string_view language) const {
  if (!valid_voice_name(language)) return false;
  std::lock_guard lock(espeak_mutex());
  if (engine_rate() <= 0) return false;
  return espeak_SetVoiceByName(std::string(language).c_str()) == EE_OK;
}

Result<media::AudioFrame> EspeakTts::synthesize(std::string_view text, const TtsRequest& request) {
  const std::string voice = request.voice.empty() ? request.language : request.voice;
  if (!valid_voice_name(voice)) {
    return make_error(ErrorCode::kInvalidArgument, "espeak-ng: bad voice or language name '" + voice + "'");
  }
  if (text.size() > kMaxTtsTextBytes) {
    return make_error(ErrorCode::kInvalidArgument, "espeak-ng: text of " + std::to_string(text.size()) +
                                                       " bytes is too long (synthesise a sentence at a time)");
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return make_error(ErrorCode::kInvalidArgument, "espeak-ng: nothing to say (empty text)");
  }
  const std::string input(text);
  media::AudioFrame native;
  native.channels = 1;
  {
    std::lock_guard lock(espeak_mutex());
    const int rate = engine_rate();
    if (rate <= 0) {
      return make_error(ErrorCode::kInternal, "espeak-ng: cannot initialise (is espeak-ng-data installed?)");
    }
    if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) {
      return make_error(ErrorCode::kInvalidArgument, "espeak-ng: no voice for '" + voice + "'");
    }
    Collect collect{&native.data, static_cast<size_t>(rate) * kMaxSeconds};
    espeak_ERROR err = espeak_Synth(input.c_str(), input.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr,
                                    &collect);
    if (err != EE_OK) return make_error(ErrorCode::kInternal, "espeak-ng: synthesis failed (" + std::to_string(err) + ")");
    native.sample_rate = rate;
  }
  native.samples_per_channel = static_cast<int>(native.data.size());
  if (native.empty()) return make_error(ErrorCode::kInternal, "espeak-ng: produced no audio");
  return media::Resampler::convert(native, request.sample_rate);
}

}  // namespace parley::providers
