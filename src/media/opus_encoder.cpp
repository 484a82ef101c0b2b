#include "media/opus_encoder.h"

#include <opus.h>

#include <string>

namespace parley::media {

namespace {
::OpusEncoder* native(void* p) { return static_cast<::OpusEncoder*>(p); }
}  // namespace

namespace {
bool valid_opus_rate(int r) { return r == 8000 || r == 12000 || r == 16000 || r == 24000 || r == 48000; }

// Frame sizes Opus accepts: 2.5, 5, 10, 20, 40 or 60 ms.
bool valid_frame(int rate, int samples) {
  for (int tenth_ms : {25, 50, 100, 200, 400, 600}) {
    if (static_cast<long long>(rate) * tenth_ms / 10000 == samples) return true;
  }
  return false;
}

Error opus_failure(const char* what, int code) {
  return Error(ErrorCode::kInternal, std::string("opus encoder: ") + what + ": " + opus_strerror(code));
}
}  // namespace

Result<std::unique_ptr<OpusEncoder>> OpusEncoder::create(const OpusEncoderOptions& o) {
  if (!valid_opus_rate(o.sample_rate)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "opus encoder: sample rate " + std::to_string(o.sample_rate) +
                          " is not one of 8000, 12000, 16000, 24000, 48000");
  }
  if (o.channels != 1 && o.channels != 2) {
    return make_error(ErrorCode::kInvalidArgument, "opus encoder: channels must be 1 or 2");
  }
  if (o.bitrate < 6000 || o.bitrate > 510000) {
    return make_error(ErrorCode::kInvalidArgument, "opus encoder: bitrate must be 6000 … 510000 b/s");
  }
  if (o.complexity < 0 || o.complexity > 10) {
    return make_error(ErrorCode::kInvalidArgument, "opus encoder: complexity must be 0 … 10");
  }
  if (o.expected_loss_percent < 0 || o.expected_loss_percent > 100) {
    return make_error(ErrorCode::kInvalidArgument, "opus encoder: expected loss must be 0 … 100 %");
  }
  int err = 0;
  ::OpusEncoder* enc = opus_encoder_create(o.sample_rate, o.channels, OPUS_APPLICATION_VOIP, &err);
  if (err != OPUS_OK || enc == nullptr) return tl::unexpected(opus_failure("create", err));
  std::unique_ptr<OpusEncoder> self(new OpusEncoder(o, enc));
  if ((err = opus_encoder_ctl(enc, OPUS_SET_BITRATE(o.bitrate))) != OPUS_OK ||
      (err = opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(o.complexity))) != OPUS_OK ||
      (err = opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE))) != OPUS_OK ||
      (err = opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(o.fec ? 1 : 0))) != OPUS_OK ||
      (err = opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(o.expected_loss_percent))) != OPUS_OK ||
      (err = opus_encoder_ctl(enc, OPUS_SET_DTX(o.dtx ? 1 : 0))) != OPUS_OK) {
    return tl::unexpected(opus_failure("configure", err));
  }
  return self;
}

OpusEncoder::~OpusEncoder() { opus_encoder_destroy(native(enc_)); }

Result<size_t> OpusEncoder::encode(std::span<const int16_t> pcm, std::span<uint8_t> out) {
  const int samples = static_cast<int>(pcm.size()) / options_.channels;
  if (pcm.size() % static_cast<size_t>(options_.channels) != 0 || !valid_frame(options_.sample_rate, samples)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "opus encoder: " + std::to_string(pcm.size()) +
                          " samples is not a 2.5/5/10/20/40/60 ms frame at " + std::to_string(options_.sample_rate) +
                          " Hz × " + std::to_string(options_.channels) + " ch");
  }
  int n = opus_encode(native(enc_), pcm.data(), samples, out.data(), static_cast<opus_int32>(out.size()));
  if (n < 0) return tl::unexpected(opus_failure("encode", n));
  return static_cast<size_t>(n);
}

Result<SecureVector<uint8_t>> OpusEncoder::encode(const AudioFrame& frame) {
  if (frame.sample_rate != options_.sample_rate || frame.channels != options_.channels || !frame.valid()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "opus encoder: frame is " + std::to_string(frame.sample_rate) + " Hz × " +
                          std::to_string(frame.channels) + " ch, encoder is " +
                          std::to_string(options_.sample_rate) + " Hz × " + std::to_string(options_.channels) + " ch");
  }
  SecureVector<uint8_t> packet(kMaxPacketBytes);
  auto n = encode(frame.samples(), packet);
  if (!n) return tl::unexpected(n.error());
  packet.resize(*n);
  return packet;
}

Status OpusEncoder::set_bitrate(int bitrate) {
  if (bitrate < 6000 || bitrate > 510000) {
    return make_error(ErrorCode::kInvalidArgument, "opus encoder: bitrate must be 6000 … 510000 b/s");
  }
  if (int err = opus_encoder_ctl(native(enc_), OPUS_SET_BITRATE(bitrate)); err != OPUS_OK) {
    return tl::unexpected(opus_failure("set bitrate", err));
  }
  options_.bitrate = bitrate;
  return {};
}

Status OpusEncoder::set_fec(bool on, int expected_loss_percent) {
  if (expected_loss_percent < 0 || expected_loss_percent > 100) {
    return make_error(ErrorCode::kInvalidArgument, "opus encoder: expected loss must be 0 … 100 %");
  }
  int err = opus_encoder_ctl(native(enc_), OPUS_SET_INBAND_FEC(on ? 1 : 0));
  if (err == OPUS_OK) err = opus_encoder_ctl(native(enc_), OPUS_SET_PACKET_LOSS_PERC(expected_loss_percent));
  if (err != OPUS_OK) return tl::unexpected(opus_failure("set fec", err));
  options_.fec = on;
  options_.expected_loss_percent = expected_loss_percent;
  return {};
}

}  // namespace parley::media
