// Opus encoding (libopus) of 48 kHz voice in 20 ms frames for RTP (RFC 7587, payload type 111
// in LiveKit's SDP). One encoder per published track; not thread-safe (the call's loop owns it).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "core/error.h"
#include "media/audio_frame.h"

namespace parley::media {

struct OpusEncoderOptions {
  int sample_rate = 48000;  // 8000, 12000, 16000, 24000 or 48000
  int channels = 1;         // 1 or 2
  int bitrate = 32000;      // bits/s, 6000 … 510000
  int complexity = 5;       // 0 … 10: CPU against quality (see docs/performance.md)
  bool fec = false;         // in-band forward error correction (the next packet carries this one at low rate)
  int expected_loss_percent = 0;  // tunes FEC; 0 … 100
  bool dtx = false;         // discontinuous transmission: tiny packets during silence
};

class OpusEncoder {
 public:
  // The largest packet encode() writes (RFC 6716 caps one frame at 1275 bytes).
  static constexpr size_t kMaxPacketBytes = 1500;

  static Result<std::unique_ptr<OpusEncoder>> create(const OpusEncoderOptions& options);
  ~OpusEncoder();
  OpusEncoder(const OpusEncoder&) = delete;
  OpusEncoder& operator=(const OpusEncoder&) = delete;

  // Encodes one frame (2.5, 5, 10, 20, 40 or 60 ms of interleaved samples) into `out`; returns
  // the packet size. With DTX a packet of 1–2 bytes means silence: it need not be sent.
  Result<size_t> encode(std::span<const int16_t> pcm, std::span<uint8_t> out);
  Result<SecureVector<uint8_t>> encode(const AudioFrame& frame);

  Status set_bitrate(int bitrate);
  Status set_fec(bool on, int expected_loss_percent);
  const OpusEncoderOptions& options() const { return options_; }

 private:
  OpusEncoder(const OpusEncoderOptions& options, void* enc) : options_(options), enc_(enc) {}
  OpusEncoderOptions options_;
  // The libopus state, kept opaque here so that including this header does not declare the
  // global C type OpusEncoder, which would make parley::media::OpusEncoder ambiguous under a using-directive.
  void* enc_;
};

// True for a packet that DTX marks as silence (nothing worth sending).
inline bool is_dtx_packet(size_t packet_bytes) { return packet_bytes <= 2; }

}  // namespace parley::media
