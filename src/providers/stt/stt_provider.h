// Speech-to-text behind one small streaming interface (in the style of LiveKit Agents): open a
// stream per utterance or per call, push audio frames as they arrive, read interim hypotheses
// as they change, and flush() at the end of an utterance (the VAD's END_OF_SPEECH) for the
// final text. Streams accept frames of any rate and channel count; each converts to what its
// engine needs.
//
// A stream is used by one thread at a time. push_frame() and flush() may run the engine
// (milliseconds of CPU per frame for an embedded recogniser): the voice layer calls them from a
// worker, not from a media loop. Providers are shared by all calls and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "media/audio_frame.h"
#include "media/narrowband_line.h"

namespace parley::providers {

enum class SttEventType { kInterim, kFinal };
std::string_view to_string(SttEventType t);

struct SttEvent {
  SttEventType type = SttEventType::kInterim;
  std::string text;      // may be empty for a final event (nothing recognised)
  std::string language;  // e.g. "en"
};

// What an engine has learned about one caller's line (pocketsphinx: the cepstral mean, the
// channel's average spectral shape), carried from one utterance of a call to the next. A phone
// line's shape differs from the model's starting point, and an engine that starts every
// utterance from scratch spends its first second relearning it: on noisy narrowband calls that
// costs most of the words (bench/stt). One per call, so that no call shapes another's
// recognition; engines that learn nothing leave it empty. Used by one stream at a time.
struct SttChannel {
  std::vector<float> estimate;
  // Whether the line is a telephone line (media/narrowband_line.h), once an utterance found out.
  media::NarrowbandLine::Kind line = media::NarrowbandLine::Kind::kUnknown;
};

struct SttRequest {
  std::string language = "en";
  // The call's channel, or null: every utterance starts from the engine's initial estimate.
  std::shared_ptr<SttChannel> channel;
};

class SttStream {
 public:
  virtual ~SttStream() = default;
  // Feeds audio; returns interim events (when the hypothesis changed).
  virtual Result<std::vector<SttEvent>> push_frame(const media::AudioFrame& frame) = 0;
  // Ends the utterance: returns its final event (and the stream is ready for the next one).
  virtual Result<SttEvent> flush() = 0;
};

class SttProvider {
 public:
  virtual ~SttProvider() = default;
  virtual std::string_view name() const = 0;
  virtual bool supports_language(std::string_view language) const = 0;
  // Errors: kInvalidArgument for a language it cannot recognise; kResourceExhausted (retryable)
  // when all its decoders are busy.
  virtual Result<std::unique_ptr<SttStream>> open_stream(const SttRequest& request) = 0;

  // A whole clip at once: open, push, flush.
  Result<SttEvent> recognize(const media::AudioFrame& clip, const SttRequest& request = {});
};

}  // namespace parley::providers
