#include "providers/stt/pocketsphinx_stt.h"

#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <filesystem>
#include <limits>

#include "core/metrics.h"
#include "providers/stt/pocketsphinx_stream.h"

namespace parley::providers {

namespace {

// ps_init and the command-line parser use sphinxbase's global state (logging, the argument
// tables): one load at a time in the process.
std::mutex& load_mutex() {
  static std::mutex m;
  return m;
}

// One second of a voiced-sounding signal (a gliding 120–200 Hz buzz with its harmonics, under a
// syllable-rate envelope), the same every time.
std::vector<int16_t> exercise_audio() {
  constexpr int kRate = 16000;
  std::vector<int16_t> pcm(kRate);
  double phase = 0;
  for (size_t i = 0; i < pcm.size(); ++i) {
    const double t = static_cast<double>(i) / kRate;
    phase += 2 * std::numbers::pi * (120 + 80 * t) / kRate;
    double v = 0;
    for (int h = 1; h <= 12; ++h) v += std::sin(h * phase) / h;
    const double envelope = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * 4 * t);
    pcm[i] = static_cast<int16_t>(4000 * envelope * v);
  }
  return pcm;
}

// Decodes a second of audio on a fresh decoder, so that what its first utterance allocates and
// touches (the search's tables, the mapped senone scores) is there before a call, in the idle
// process's memory and not the first call's. Streams start from the initial cepstral mean, so
// this changes no result.
void exercise(void* decoder) {
  static const std::vector<int16_t> audio = exercise_audio();
  auto* ps = static_cast<ps_decoder_t*>(decoder);
  if (ps_start_utt(ps) < 0) return;
  ps_process_raw(ps, audio.data(), audio.size(), FALSE, FALSE);
  ps_end_utt(ps);
}

metrics::Counter& second_passes_skipped_counter() {
  static auto& c = metrics::registry()
                       .counter("parley_stt_pocketsphinx_second_pass_skipped_total",
                                "Utterances recognised without pocketsphinx's second pass because every decoder that "
                                "makes it was busy (providers.pocketsphinx.second_pass_max_concurrent)")
                       .get();
  return c;
}

size_t resolve_second_pass_limit(const PocketsphinxOptions& options) {
  if (!options.second_pass) return 0;
  if (options.second_pass_max_concurrent > 0) return static_cast<size_t>(options.second_pass_max_concurrent);
  return std::numeric_limits<size_t>::max();  // every decoder
}

}  // namespace

PocketsphinxStt::PocketsphinxStt(const PocketsphinxOptions& options)
    : options_(options), max_decoders_(options.max_decoders), second_pass_limit_(resolve_second_pass_limit(options)) {}

Result<std::shared_ptr<PocketsphinxStt>> PocketsphinxStt::create(const PocketsphinxOptions& options) {
  namespace fs = std::filesystem;
  const fs::path dir(options.model_dir);
  for (const char* f : {"en-us/mdef", "en-us.lm.bin", "cmudict-en-us.dict"}) {
    std::error_code ec;
    if (!fs::exists(dir / f, ec)) {
      return make_error(ErrorCode::kNotFound, "pocketsphinx: model file " + (dir / f).string() +
                                                  " not found (fix: apt-get install pocketsphinx-en-us, or set the model directory)");
    }
  }
  if (options.max_decoders < 1) return make_error(ErrorCode::kInvalidArgument, "pocketsphinx: max_decoders must be >= 1");
  if (options.second_pass_max_concurrent < 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pocketsphinx: second_pass_max_concurrent must be >= 0 (0: every decoder)");
  }
  if (options.max_hmms_per_frame < 1) {
    return make_error(ErrorCode::kInvalidArgument, "pocketsphinx: max_hmms_per_frame must be >= 1");
  }
  if (options.max_words_per_frame < 0) {
    return make_error(ErrorCode::kInvalidArgument, "pocketsphinx: max_words_per_frame must be >= 0 (0: no limit)");
  }
  std::shared_ptr<PocketsphinxStt> self(new PocketsphinxStt(options));
  bool second_pass = false;
  {
    std::lock_guard lock(self->mutex_);
    self->reserve_slot(second_pass);  // the pool is empty: a slot is there
  }
  auto first = self->load_in_reserved_slot(second_pass);
  if (!first) return tl::unexpected(first.error());
  const cmn_t* cmn = ps_get_feat(static_cast<ps_decoder_t*>(*first))->cmn_struct;
  if (cmn != nullptr) self->initial_cmn_.assign(cmn->cmn_mean, cmn->cmn_mean + cmn->veclen);
  self->release({*first, second_pass});
  return self;
}

Result<std::shared_ptr<PocketsphinxStt>> PocketsphinxStt::shared(const PocketsphinxOptions& options) {
  static std::mutex m;
  static std::shared_ptr<PocketsphinxStt> instance;
  std::lock_guard lock(m);
  if (!instance) {
    auto created = create(options);
    if (!created) return tl::unexpected(created.error());
    instance = *created;
  } else {
    std::lock_guard pool_lock(instance->mutex_);
    instance->max_decoders_ = std::max(instance->max_decoders_, options.max_decoders);
  }
  return instance;
}

PocketsphinxStt::~PocketsphinxStt() {
  // Streams hold a shared_ptr to the provider, so every decoder is idle by now.
  for (const Kind* k : {&with_pass_, &without_pass_}) {
    for (void* d : k->idle) ps_free(static_cast<ps_decoder_t*>(d));
  }
}

Result<void*> PocketsphinxStt::load_decoder(bool second_pass) {
  std::lock_guard lock(load_mutex());
  // pocketsphinx logs every step to stderr; parley logs for itself.
  err_set_logfp(nullptr);
  const std::string dir = options_.model_dir;
  const std::string hmm = dir + "/en-us", lm = dir + "/en-us.lm.bin", dict = dir + "/cmudict-en-us.dict";
  const std::string max_hmms = std::to_string(options_.max_hmms_per_frame);
  // pocketsphinx spells "no limit" -1.
  const std::string max_words = std::to_string(options_.max_words_per_frame > 0 ? options_.max_words_per_frame : -1);
  cmd_ln_t* config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-lm", lm.c_str(), "-dict",
                                 dict.c_str(), "-samprate", "16000", "-mmap", "yes", "-maxhmmpf", max_hmms.c_str(),
                                 "-maxwpf", max_words.c_str(), "-fwdflat", second_pass ? "yes" : "no", nullptr);
  if (config == nullptr) return make_error(ErrorCode::kInternal, "pocketsphinx: bad configuration");
  ps_decoder_t* ps = ps_init(config);
  cmd_ln_free_r(config);  // the decoder keeps its own reference
  if (ps == nullptr) {
    return make_error(ErrorCode::kInternal, "pocketsphinx: cannot load the model from " + dir);
  }
  return static_cast<void*>(ps);
}

size_t PocketsphinxStt::capacity(bool second_pass) const {
  const size_t with = std::min(second_pass_limit_, max_decoders_);
  return second_pass ? with : max_decoders_ - with;
}

bool PocketsphinxStt::reserve_slot(bool& second_pass) {
  for (bool pass : {true, false}) {
    if (kind(pass).created < capacity(pass)) {
      ++kind(pass).created;
      second_pass = pass;
      return true;
    }
  }
  return false;
}

std::optional<PocketsphinxDecoder> PocketsphinxStt::take_idle() {
  for (bool pass : {true, false}) {
    if (kind(pass).idle.empty()) continue;
    void* d = kind(pass).idle.back();
    kind(pass).idle.pop_back();
    return PocketsphinxDecoder{d, pass};
  }
  return std::nullopt;
}

Result<PocketsphinxDecoder> PocketsphinxStt::acquire() {
  std::optional<PocketsphinxDecoder> idle;
  bool second_pass = false;
  {
    std::lock_guard lock(mutex_);
    // A new decoder only when none is idle: a load takes a second, which no caller should wait
    // for while a decoder is free.
    idle = take_idle();
    if (!idle && !reserve_slot(second_pass)) {
      return make_error(ErrorCode::kResourceExhausted,
                        "pocketsphinx: all " + std::to_string(max_decoders_) + " decoders are busy", true);
    }
    if (idle) second_pass = idle->second_pass;
    if (options_.second_pass && !second_pass) {
      ++second_passes_skipped_;
      second_passes_skipped_counter().inc();
    }
  }
  if (idle) return *idle;
  // The model loads outside the pool lock.
  auto d = load_in_reserved_slot(second_pass);
  if (!d) return tl::unexpected(d.error());
  return PocketsphinxDecoder{*d, second_pass};
}

Result<void*> PocketsphinxStt::load_in_reserved_slot(bool second_pass) {
  auto d = load_decoder(second_pass);
  if (!d) {
    std::lock_guard lock(mutex_);
    --kind(second_pass).created;  // the slot is free again
  }
  return d;
}

void PocketsphinxStt::release(PocketsphinxDecoder decoder) {
  std::lock_guard lock(mutex_);
  kind(decoder.second_pass).idle.push_back(decoder.ps);
}

Status PocketsphinxStt::warm_up() {
  for (;;) {
    auto more = warm_up_step();
    if (!more) return tl::unexpected(more.error());
    if (!*more) return {};
  }
}

Result<bool> PocketsphinxStt::warm_up_step() {
  // The decoder create() loaded, when no call has it.
  std::optional<PocketsphinxDecoder> first;
  {
    std::lock_guard lock(mutex_);
    if (!exercised_first_) {
      first = take_idle();
      exercised_first_ = first.has_value();
    }
  }
  if (first) {
    exercise(first->ps);
    release(*first);
    return true;
  }
  // Only new decoders, each idle as soon as it is loaded: calls keep using the ones there are
  // (taking idle ones here would make a caller wait for every load).
  bool second_pass = false;
  {
    std::lock_guard lock(mutex_);
    if (!reserve_slot(second_pass)) return false;  // the model loads outside the pool lock
  }
  auto d = load_in_reserved_slot(second_pass);
  if (!d) return tl::unexpected(d.error());
  exercise(*d);
  release({*d, second_pass});
  return true;
}

size_t PocketsphinxStt::max_decoders() const {
  std::lock_guard lock(mutex_);
  return max_decoders_;
}

size_t PocketsphinxStt::decoders_created() const {
  std::lock_guard lock(mutex_);
  return with_pass_.created + without_pass_.created;
}

size_t PocketsphinxStt::second_pass_decoders() const {
  std::lock_guard lock(mutex_);
  return capacity(true);
}

uint64_t PocketsphinxStt::second_passes_skipped() const {
  std::lock_guard lock(mutex_);
  return second_passes_skipped_;
}

bool PocketsphinxStt::supports_language(std::string_view language) const {
  return language == "en" || language.starts_with("en-");
}

Result<std::unique_ptr<SttStream>> PocketsphinxStt::open_stream(const SttRequest& request) {
  if (!supports_language(request.language)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "pocketsphinx: recognises English only, not '" + request.language + "'");
  }
  auto d = acquire();
  if (!d) return tl::unexpected(d.error());
  return std::unique_ptr<SttStream>(
      new PocketsphinxStream(shared_from_this(), *d, options_.interim_interval_ms, request.channel,
                             options_.decode_batch_ms));
}

}  // namespace parley::providers
