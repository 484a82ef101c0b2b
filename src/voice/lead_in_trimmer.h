// Cuts the near-silence a synthesiser puts before the first word of a reply, so the caller hears
// the answer that much sooner: flite starts every utterance with about 0.22 s of it, which parley
// used to send as it came (measured on the latency waterfall, docs/performance.md). A short
// pre-roll before the first sound is kept, so the word's onset is not clipped, and at most
// `max_trim` is cut, so a quiet voice is never swallowed. Only a reply's first sentence is
// trimmed: the lead-in of later sentences is the natural pause between them.
//
// Audio may come in chunks of any length (streamed synthesis); the trimmer holds back at most
// `keep` plus one 10 ms window while it looks for the first sound.
//
// Not thread-safe: one per reply, on the pipeline's loop.
#pragma once

#include <chrono>
#include <vector>

#include "media/audio_frame.h"

namespace parley::voice {

class LeadInTrimmer {
 public:
  struct Options {
    double threshold_dbov = -42.0;              // a 10 ms window louder than this is sound
    std::chrono::milliseconds keep{40};          // pre-roll kept before the first sound
    std::chrono::milliseconds max_trim{500};     // never cut more than this
  };

  LeadInTrimmer() : LeadInTrimmer(Options{}) {}
  explicit LeadInTrimmer(Options options);

  // The part of `chunk` to play now (empty while still in the lead-in). Once the first sound or
  // the cap is reached, everything passes unchanged.
  media::AudioFrame feed(const media::AudioFrame& chunk);
  bool done() const { return done_; }
  // Audio cut so far.
  std::chrono::microseconds trimmed() const;

 private:
  media::AudioFrame release(size_t from_sample);

  Options options_;
  bool done_ = false;
  int rate_ = 0;
  int channels_ = 1;
  std::vector<int16_t> held_;  // interleaved, not yet played nor cut
  size_t scanned_ = 0;         // samples of held_ (per channel) already found quiet
  int64_t trimmed_samples_ = 0;
};

}  // namespace parley::voice
