#include "providers/tts/flite_tts.h"

#include <flite/flite.h>

#include <csetjmp>
#include <mutex>
#include <string>

#include "media/resampler.h"

extern "C" {
cst_voice* register_cmu_us_kal(const char* voxdir);
cst_voice* register_cmu_us_kal16(const char* voxdir);
}

namespace parley::providers {

namespace {

std::mutex& flite_mutex() {
  static std::mutex m;
  return m;
}

struct Voices {
  cst_voice* kal = nullptr;
  cst_voice* kal16 = nullptr;
};

// Under flite_mutex().
Voices& voices() {
  static Voices v = [] {
    flite_init();
    return Voices{register_cmu_us_kal(nullptr), register_cmu_us_kal16(nullptr)};
  }();
  return v;
}

// flite reports internal errors by longjmp to cst_errjmp when it is set (else it calls exit()).
// This frame holds no C++ object with a destructor, so jumping back into it is safe; memory
// flite had allocated for the failed utterance is lost, which only happens on engine bugs.
cst_wave* synthesize_guarded(const char* text, cst_voice* voice) {
  static jmp_buf env;
  cst_wave* volatile wave = nullptr;
  jmp_buf* volatile previous = cst_errjmp;
  cst_errjmp = &env;
  if (setjmp(env) == 0) wave = flite_text_to_wave(text, voice);
  cst_errjmp = previous;
  return wave;
}

// Keeps what flite can read: printable ASCII and whitespace. Other bytes (UTF-8 for other
// scripts, control characters) become spaces; the English front end has no use for them.
std::string clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) out.push_back((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' ? static_cast<char>(c) : ' ');
  return out;
}

}  // namespace

bool FliteTts::supports_language(std::string_view language) const {
  return language == "en" || language.starts_with("en-");
}

Result<media::AudioFrame> FliteTts::synthesize(std::string_view text, const TtsRequest& request) {
  if (!supports_language(request.language)) {
    return make_error(ErrorCode::kInvalidArgument, "flite: speaks English only, not '" + request.language + "' (use espeak-ng)");
  }
  if (text.size() > kMaxTtsTextBytes) {
    return make_error(ErrorCode::kInvalidArgument, "flite: text of " + std::to_string(text.size()) +
                                                       " bytes is too long (synthesise a sentence at a time)");
  }
  if (request.voice != "" && request.voice != "kal" && request.voice != "kal16") {
    return make_error(ErrorCode::kInvalidArgument, "flite: unknown voice '" + request.voice + "' (kal, kal16)");
  }
  const std::string input = clean(text);
  if (input.find_first_not_of(" \t\n") == std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument, "flite: nothing to say (empty text)");
  }
  media::AudioFrame native;
  {
    std::lock_guard lock(flite_mutex());
    Voices& v = voices();
    cst_voice* voice = request.voice == "kal" ? v.kal : v.kal16;
    if (voice == nullptr) return make_error(ErrorCode::kInternal, "flite: voice did not load");
    cst_wave* wave = synthesize_guarded(input.c_str(), voice);
    if (wave == nullptr) return make_error(ErrorCode::kInternal, "flite: synthesis failed");
    native.sample_rate = wave->sample_rate;
    native.channels = 1;
    native.samples_per_channel = wave->num_samples;
    native.data.assign(wave->samples, wave->samples + wave->num_samples);
    media::secure_zero(wave->samples, static_cast<size_t>(wave->num_samples) * sizeof(short));
    delete_wave(wave);
  }
  return media::Resampler::convert(native, request.sample_rate);
}

}  // namespace parley::providers
