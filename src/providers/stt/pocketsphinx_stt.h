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
// With the second pass on and second_pass_max_concurrent set, only that many of the decoders make
// it, and a stream takes one of those when one is free: an utterance that starts while they are
// all busy is recognised without it, so that its final does not queue behind theirs.
//
// Every stream starts from the model's initial cepstral mean, so recognition never depends on
// what an earlier call said. The model is wideband: narrowband (8 kHz) speech upsampled to
// 16 kHz is recognised poorly (flite's 8 kHz "kal" voice is; its 16 kHz "kal16" is not).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
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
  // A stream decodes its audio this many ms at a time, not frame by frame as it arrives. Between
  // two 20 ms frames the call's media, the other calls and the server run on the same cores and
  // evict the decoder's working set (acoustic model, search state) from the caches, and each
  // frame decoded alone pays to bring it back: on one call's own audio, 100 ms at a time cost
  // about a quarter less CPU than 20 ms with the caches flushed in between (docs/performance.md).
  // The cost is the rest of a batch left at the utterance's end, decoded when its final is asked
  // for. 0 or a frame: every frame as it comes.
  int decode_batch_ms = 100;
  // The first pass's search limit (pocketsphinx's -maxhmmpf): at most this many HMMs are kept
  // alive per 10 ms frame, the least likely pruned first. Much of the recogniser's CPU is that
  // search, and pocketsphinx's own default (30000) almost never binds. 5000 costs 11-20 % less
  // CPU for the same words; 3000 saves a third but loses words on noisy narrowband calls
  // (bench/stt, docs/performance.md).
  int max_hmms_per_frame = 5000;
  // The first pass's limit on distinct words ending in one 10 ms frame (pocketsphinx's -maxwpf;
  // 0: no limit, pocketsphinx's own default). Each word that ends opens every word that may
  // follow it, so a frame where hundreds end is costly, and the likeliest few decide the words:
  // 10 gave the same text on all 288 of bench/stt's files for about a tenth less CPU
  // (docs/performance.md).
  int max_words_per_frame = 10;
  // pocketsphinx's second pass (-fwdflat): at the utterance's end, the words the first pass
  // found are searched again over the whole utterance. Without it the recogniser costs about a
  // fifth less CPU and its final text comes sooner, for 0.5-2 points more word errors (bench/stt,
  // docs/performance.md).
  bool second_pass = true;
  // How many of the decoders make the second pass; 0: every one. The pass is a burst of CPU at
  // the utterance's end, just when its caller waits for the answer: with more utterances than
  // cores ending together, their finals queue behind each other's passes. One decoder per core
  // cuts that tail, for the words the pass would have got right (docs/performance.md).
  int second_pass_max_concurrent = 0;
};

// A decoder borrowed from the pool, and whether it makes the second pass.
struct PocketsphinxDecoder {
  void* ps = nullptr;  // ps_decoder_t*
  bool second_pass = false;
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
  // How many decoders make the second pass (second_pass_max_concurrent, or every one; at most
  // max_decoders; 0 with the pass off).
  size_t second_pass_decoders() const;
  // Streams opened on a decoder without the second pass because all of those with it were busy.
  uint64_t second_passes_skipped() const;
  const PocketsphinxOptions& options() const { return options_; }

  // Used by streams.
  Result<PocketsphinxDecoder> acquire();
  void release(PocketsphinxDecoder decoder);
  // The model's initial cepstral mean (its -cmninit), which every stream starts from.
  const std::vector<float>& initial_cmn() const { return initial_cmn_; }

 private:
  // The decoders of one kind: with the second pass or without.
  struct Kind {
    std::vector<void*> idle;  // ps_decoder_t*
    size_t created = 0;
  };

  explicit PocketsphinxStt(const PocketsphinxOptions& options);
  Result<void*> load_decoder(bool second_pass);
  // load_decoder() into a slot already counted in its kind's created; a failed load frees it.
  Result<void*> load_in_reserved_slot(bool second_pass);
  // Under mutex_: how many decoders of the kind the pool may hold.
  size_t capacity(bool second_pass) const;
  // Under mutex_: reserves a slot for a new decoder, of the kind with the second pass if one is
  // left; false when the pool is full.
  bool reserve_slot(bool& second_pass);
  Kind& kind(bool second_pass) { return second_pass ? with_pass_ : without_pass_; }
  // Under mutex_: an idle decoder, one with the second pass first; none when all are busy.
  std::optional<PocketsphinxDecoder> take_idle();

  PocketsphinxOptions options_;
  mutable std::mutex mutex_;
  Kind with_pass_, without_pass_;
  std::vector<float> initial_cmn_;  // written once by create()
  bool exercised_first_ = false;  // warm_up() has decoded on create()'s decoder
  size_t max_decoders_;  // under mutex_: shared() may raise it
  size_t second_pass_limit_;  // second_pass_max_concurrent, or SIZE_MAX for every one; 0 with the pass off
  uint64_t second_passes_skipped_ = 0;  // under mutex_
};

}  // namespace parley::providers
