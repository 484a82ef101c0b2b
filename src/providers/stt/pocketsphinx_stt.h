// English speech recognition with CMU pocketsphinx (Debian libpocketsphinx 0.8 and the
// pocketsphinx-en-us model: 16 kHz acoustic model, general trigram language model). Offline.
//
// A decoder holds the loaded model and cannot be shared by two utterances at once, and loading
// one takes a second, so the provider keeps a pool: a stream borrows a decoder for its lifetime
// and returns it when destroyed; decoders are created on demand up to max_decoders and then
// reused, so the model is loaded once per concurrent stream for the life of the process
// (shared() gives the process-wide provider). The pool is thread-safe; each stream is used by
// one thread at a time.
//
// Every stream starts from the model's initial cepstral mean, so recognition never depends on
// what an earlier call said. The model is wideband: narrowband (8 kHz) speech upsampled to
// 16 kHz is recognised poorly (flite's 8 kHz "kal" voice is; its 16 kHz "kal16" is not).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "providers/stt/stt_provider.h"

namespace parley::providers {

struct PocketsphinxOptions {
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";  // en-us/, en-us.lm.bin, cmudict-en-us.dict
  // Concurrent streams; more wait for kResourceExhausted (retryable). Each decoder holds its own
  // copy of the language model and dictionary (about 90 MB private memory; sphinxbase's trie
  // keeps lookup caches inside the model, so one copy cannot serve two threads).
  size_t max_decoders = 4;
  int interim_interval_ms = 300;   // how often a stream looks for a new interim hypothesis
  // The first pass's search limit (pocketsphinx's -maxhmmpf): at most this many HMMs are kept
  // alive per 10 ms frame, the least likely pruned first. Much of the recogniser's CPU is that
  // search, and pocketsphinx's own default (30000) almost never binds. 5000 costs 11-20 % less
  // CPU for the same words; 3000 saves a third but loses words on noisy narrowband calls
  // (bench/stt, docs/performance.md).
  int max_hmms_per_frame = 5000;
  // pocketsphinx's second pass (-fwdflat): at the utterance's end, the words the first pass
  // found are searched again over the whole utterance. Without it the recogniser costs about a
  // fifth less CPU and its final text comes sooner, for 0.5-2 points more word errors (bench/stt,
  // docs/performance.md).
  bool second_pass = true;
};

class PocketsphinxStt final : public SttProvider, public std::enable_shared_from_this<PocketsphinxStt> {
 public:
  // Checks the model files; loads the first decoder (so a broken model fails here, not mid-call).
  static Result<std::shared_ptr<PocketsphinxStt>> create(const PocketsphinxOptions& options = {});
  // The process-wide provider, created on first use with these options; a later caller that
  // asks for more decoders than it allows raises the limit (never lowers it). The other options
  // are the first caller's: every decoder of a process searches the same way.
  static Result<std::shared_ptr<PocketsphinxStt>> shared(const PocketsphinxOptions& options = {});
  ~PocketsphinxStt() override;

  std::string_view name() const override { return "pocketsphinx"; }
  bool supports_language(std::string_view language) const override;
  Result<std::unique_ptr<SttStream>> open_stream(const SttRequest& request) override;

  // Loads every decoder up to max_decoders now (each takes about a second of CPU), so that no
  // caller waits for a model load mid-call, and decodes a second of audio on each, so that a
  // decoder's first-utterance memory belongs to the idle process rather than to the first
  // calls. Idempotent; for a process that serves calls.
  Status warm_up();
  // One step of warm_up(): exercises create()'s decoder, or loads and exercises one more.
  // Returns whether a step was done (false: every decoder is loaded and warm). A process that
  // takes calls while it warms up runs each step as a task of its own on the recognition pool,
  // so that the calls' audio is decoded between loads rather than after all of them.
  Result<bool> warm_up_step();
  size_t decoders_created() const;
  size_t max_decoders() const;
  const PocketsphinxOptions& options() const { return options_; }

  // Used by streams.
  Result<void*> acquire();
  void release(void* decoder);
  // The model's initial cepstral mean (its -cmninit), which every stream starts from.
  const std::vector<float>& initial_cmn() const { return initial_cmn_; }

 private:
  explicit PocketsphinxStt(const PocketsphinxOptions& options) : options_(options), max_decoders_(options.max_decoders) {}
  Result<void*> load_decoder();
  // load_decoder() into a slot already counted in created_; a failed load frees the slot.
  Result<void*> load_in_reserved_slot();

  PocketsphinxOptions options_;
  mutable std::mutex mutex_;
  std::vector<void*> idle_;  // ps_decoder_t*
  std::vector<float> initial_cmn_;  // written once by create()
  size_t created_ = 0;
  bool exercised_first_ = false;  // warm_up() has decoded on create()'s decoder
  size_t max_decoders_;  // under mutex_: shared() may raise it
};

}  // namespace parley::providers
