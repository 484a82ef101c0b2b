// Opus decoding (libopus) with packet-loss concealment: decode_lost() synthesises a missing
// frame from the decoder's state, decode_fec() recovers it from the in-band FEC copy that the
// *next* packet carries (when the sender enabled FEC). One decoder per received track; not
// thread-safe (the jitter buffer that owns it lives on the call's loop).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "core/error.h"
#include "media/audio_frame.h"

namespace parley::media {

class OpusDecoder {
 public:
  // The longest frame Opus codes: 120 ms.
  static constexpr int kMaxFrameMs = 120;

  // Output rate 8000, 12000, 16000, 24000 or 48000 (Opus resamples internally); channels 1 or 2.
  static Result<std::unique_ptr<OpusDecoder>> create(int sample_rate = 48000, int channels = 1);
  // The output rates libopus decodes to: 8, 12, 16, 24 or 48 kHz.
  static bool supports_rate(int sample_rate);
  ~OpusDecoder();
  OpusDecoder(const OpusDecoder&) = delete;
  OpusDecoder& operator=(const OpusDecoder&) = delete;

  // Decodes one packet; `out` gets the frame (its length is whatever the packet codes).
  // A corrupt packet is kInvalidArgument (the decoder's state stays usable).
  Status decode(std::span<const uint8_t> packet, AudioFrame& out);
  // Conceals `samples_per_channel` missing samples (a multiple of 2.5 ms; usually 20 ms).
  Status decode_lost(int samples_per_channel, AudioFrame& out);
  // Recovers the frame lost *before* `next_packet` from its FEC data; without FEC data in it,
  // libopus falls back to concealment.
  Status decode_fec(std::span<const uint8_t> next_packet, int samples_per_channel, AudioFrame& out);

  // Samples per channel that a packet decodes to, or an error for a malformed TOC.
  Result<int> packet_samples(std::span<const uint8_t> packet) const;

  // Forgets the stream (a new talker or a reset jitter buffer).
  void reset();

  int sample_rate() const { return sample_rate_; }
  int channels() const { return channels_; }

 private:
  OpusDecoder(int sample_rate, int channels, void* dec)
      : sample_rate_(sample_rate), channels_(channels), dec_(dec) {}
  Status run(const uint8_t* data, size_t len, int max_samples, bool fec, AudioFrame& out);

  int sample_rate_;
  int channels_;
  // The libopus state, kept opaque here so that including this header does not declare the
  // global C type OpusDecoder, which would make parley::media::OpusDecoder ambiguous under a using-directive.
  void* dec_;
};

}  // namespace parley::media
