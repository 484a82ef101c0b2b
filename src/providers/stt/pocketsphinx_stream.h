// One recognition stream on a decoder borrowed from PocketsphinxStt's pool (returned when the
// stream is destroyed). Audio of any rate/channels is mixed to mono and resampled to 16 kHz.
// Used by one thread at a time. With a channel (SttRequest::channel) it starts from the cepstral
// mean the call's last utterance ended with, and leaves its own there at each flush(), and so
// does what it found of the line's band (media/narrowband_line.h).
#pragma once

#include <memory>
#include <string>

#include "media/mono_resampler.h"
#include "media/narrowband_line.h"
#include "providers/stt/pocketsphinx_stt.h"
#include "providers/stt/stt_provider.h"

namespace parley::providers {

class PocketsphinxStream final : public SttStream {
 public:
  PocketsphinxStream(std::shared_ptr<PocketsphinxStt> provider, PocketsphinxDecoder decoder,
                     int interim_interval_ms, std::shared_ptr<SttChannel> channel, int decode_batch_ms);
  ~PocketsphinxStream() override;
  PocketsphinxStream(const PocketsphinxStream&) = delete;
  PocketsphinxStream& operator=(const PocketsphinxStream&) = delete;

  Result<std::vector<SttEvent>> push_frame(const media::AudioFrame& frame) override;
  Result<SttEvent> flush() override;

 private:
  // Queues 16 kHz audio; decodes the queue once it holds a batch, or at once when `now`.
  Status feed(std::span<const int16_t> pcm16k, bool now);
  Status decode_queued();
  std::string hypothesis();

  std::shared_ptr<PocketsphinxStt> provider_;
  PocketsphinxDecoder decoder_;
  std::shared_ptr<SttChannel> channel_;  // may be null
  int interim_samples_;
  size_t batch_samples_;
  media::SecureVector<int16_t> queued_;  // the line's audio not yet decoded (less than a batch)
  media::MonoResampler resampler_;  // to the acoustic model's rate
  media::NarrowbandLine line_;       // a telephone line's band, widened for the wideband model
  bool in_utterance_ = false;
  int samples_since_interim_ = 0;
  std::string last_interim_;
};

}  // namespace parley::providers
