#include "media/opus_decoder.h"

#include <opus.h>

#include <string>

namespace parley::media {

namespace {
::OpusDecoder* native(void* p) { return static_cast<::OpusDecoder*>(p); }
}  // namespace

bool OpusDecoder::supports_rate(int sample_rate) {
  return sample_rate == 8000 || sample_rate == 12000 || sample_rate == 16000 || sample_rate == 24000 ||
         sample_rate == 48000;
}

Result<std::unique_ptr<OpusDecoder>> OpusDecoder::create(int sample_rate, int channels) {
  if (!supports_rate(sample_rate)) {
    return make_error(ErrorCode::kInvalidArgument, "opus decoder: sample rate " + std::to_string(sample_rate) +
                                                       " is not one of 8000, 12000, 16000, 24000, 48000");
  }
  if (channels != 1 && channels != 2) {
    return make_error(ErrorCode::kInvalidArgument, "opus decoder: channels must be 1 or 2");
  }
  int err = 0;
  ::OpusDecoder* dec = opus_decoder_create(sample_rate, channels, &err);
  if (err != OPUS_OK || dec == nullptr) {
    return make_error(ErrorCode::kInternal, std::string("opus decoder: create: ") + opus_strerror(err));
  }
  return std::unique_ptr<OpusDecoder>(new OpusDecoder(sample_rate, channels, dec));
}

OpusDecoder::~OpusDecoder() { opus_decoder_destroy(native(dec_)); }

void OpusDecoder::reset() { opus_decoder_ctl(native(dec_), OPUS_RESET_STATE); }

Status OpusDecoder::run(const uint8_t* data, size_t len, int max_samples, bool fec, AudioFrame& out) {
  out.sample_rate = sample_rate_;
  out.channels = channels_;
  out.data.resize(static_cast<size_t>(max_samples) * static_cast<size_t>(channels_));
  int n = opus_decode(native(dec_), data, static_cast<opus_int32>(len), out.data.data(), max_samples, fec ? 1 : 0);
  if (n < 0) {
    out.data.clear();
    out.samples_per_channel = 0;
    return make_error(n == OPUS_INVALID_PACKET ? ErrorCode::kInvalidArgument : ErrorCode::kInternal,
                      std::string("opus decoder: ") + opus_strerror(n));
  }
  out.samples_per_channel = n;
  out.data.resize(static_cast<size_t>(n) * static_cast<size_t>(channels_));
  return {};
}

Status OpusDecoder::decode(std::span<const uint8_t> packet, AudioFrame& out) {
  if (packet.empty()) return make_error(ErrorCode::kInvalidArgument, "opus decoder: empty packet");
  return run(packet.data(), packet.size(), sample_rate_ * kMaxFrameMs / 1000, false, out);
}

Status OpusDecoder::decode_lost(int samples_per_channel, AudioFrame& out) {
  // PLC needs a whole number of 2.5 ms blocks.
  if (samples_per_channel <= 0 || samples_per_channel > sample_rate_ * kMaxFrameMs / 1000 ||
      samples_per_channel % (sample_rate_ / 400) != 0) {
    return make_error(ErrorCode::kInvalidArgument, "opus decoder: cannot conceal " +
                                                       std::to_string(samples_per_channel) + " samples");
  }
  return run(nullptr, 0, samples_per_channel, false, out);
}

Status OpusDecoder::decode_fec(std::span<const uint8_t> next_packet, int samples_per_channel, AudioFrame& out) {
  if (next_packet.empty()) return decode_lost(samples_per_channel, out);
  if (samples_per_channel <= 0 || samples_per_channel > sample_rate_ * kMaxFrameMs / 1000 ||
      samples_per_channel % (sample_rate_ / 400) != 0) {
    return make_error(ErrorCode::kInvalidArgument, "opus decoder: cannot recover " +
                                                       std::to_string(samples_per_channel) + " samples");
  }
  // With decode_fec=1 the frame size must be exactly the lost duration.
  return run(next_packet.data(), next_packet.size(), samples_per_channel, true, out);
}

Result<int> OpusDecoder::packet_samples(std::span<const uint8_t> packet) const {
  if (packet.empty()) return make_error(ErrorCode::kInvalidArgument, "opus decoder: empty packet");
  int n = opus_packet_get_nb_samples(packet.data(), static_cast<opus_int32>(packet.size()), sample_rate_);
  if (n <= 0) return make_error(ErrorCode::kInvalidArgument, "opus decoder: malformed packet (TOC)");
  if (n > sample_rate_ * kMaxFrameMs / 1000) {
    return make_error(ErrorCode::kInvalidArgument, "opus decoder: packet longer than 120 ms");
  }
  return n;
}

}  // namespace parley::media
