#include "media/resampler.h"

#include <soxr.h>

#include <string>

namespace parley::media {

namespace {
constexpr int kMaxRate = 384'000;
constexpr int kMaxChannels = 8;

unsigned long soxr_recipe(ResamplerQuality q) {
  switch (q) {
    case ResamplerQuality::kQuick: return SOXR_QQ;
    case ResamplerQuality::kLow: return SOXR_LQ;
    case ResamplerQuality::kMedium: return SOXR_MQ;
    case ResamplerQuality::kHigh: return SOXR_HQ;
  }
  return SOXR_MQ;
}
}  // namespace

Result<std::unique_ptr<Resampler>> Resampler::create(int in_rate, int out_rate, int channels,
                                                     ResamplerQuality quality) {
  if (in_rate <= 0 || in_rate > kMaxRate || out_rate <= 0 || out_rate > kMaxRate) {
    return make_error(ErrorCode::kInvalidArgument,
                      "resampler: rates must be 1 … 384000 Hz (got " + std::to_string(in_rate) + " → " +
                          std::to_string(out_rate) + ")");
  }
  if (channels < 1 || channels > kMaxChannels) {
    return make_error(ErrorCode::kInvalidArgument,
                      "resampler: channels must be 1 … 8 (got " + std::to_string(channels) + ")");
  }
  soxr* s = nullptr;
  if (in_rate != out_rate) {
    soxr_error_t err = nullptr;
    soxr_io_spec_t io = soxr_io_spec(SOXR_INT16_I, SOXR_INT16_I);
    // soxr dithers integer output with a generator seeded from the clock, so the same audio came
    // out different in each process, and the recogniser heard marginal speech differently from
    // run to run. A 16-bit signal gains nothing audible from it.
    io.flags |= SOXR_NO_DITHER;
    soxr_quality_spec_t qs = soxr_quality_spec(soxr_recipe(quality), 0);
    // One thread: the process has a fixed thread budget and one call's audio is tiny.
    soxr_runtime_spec_t rt = soxr_runtime_spec(1);
    s = soxr_create(in_rate, out_rate, static_cast<unsigned>(channels), &err, &io, &qs, &rt);
    if (err != nullptr || s == nullptr) {
      if (s != nullptr) soxr_delete(s);
      return make_error(ErrorCode::kInternal, std::string("resampler: soxr_create failed: ") + (err ? err : "?"));
    }
  }
  return std::unique_ptr<Resampler>(new Resampler(in_rate, out_rate, channels, s));
}

Result<AudioFrame> Resampler::convert(const AudioFrame& in, int out_rate, ResamplerQuality quality) {
  if (in.sample_rate == out_rate) return in;
  auto r = create(in.sample_rate, out_rate, in.channels, quality);
  if (!r) return tl::unexpected(r.error());
  auto out = (*r)->process(in);
  if (!out) return out;
  if (auto st = (*r)->flush(out->data); !st) return tl::unexpected(st.error());
  out->samples_per_channel = static_cast<int>(out->data.size()) / in.channels;
  return out;
}

Resampler::Resampler(int in_rate, int out_rate, int channels, soxr* s)
    : in_rate_(in_rate), out_rate_(out_rate), channels_(channels), soxr_(s) {}

Resampler::~Resampler() {
  if (soxr_ != nullptr) soxr_delete(soxr_);
}

Status Resampler::run(const int16_t* in, size_t in_frames, SecureVector<int16_t>& out) {
  const auto ch = static_cast<size_t>(channels_);
  size_t consumed = 0;
  // Input null = flush; soxr then emits what it holds, possibly over several calls.
  for (int guard = 0; guard < 1024; ++guard) {
    size_t remaining = in ? in_frames - consumed : 0;
    size_t room = remaining * static_cast<size_t>(out_rate_) / static_cast<size_t>(in_rate_) + 256;
    size_t base = out.size();
    out.resize(base + room * ch);
    size_t idone = 0, odone = 0;
    soxr_error_t err = soxr_process(soxr_, in ? in + consumed * ch : nullptr, remaining, &idone,
                                    out.data() + base, room, &odone);
    out.resize(base + odone * ch);
    if (err != nullptr) return make_error(ErrorCode::kInternal, std::string("resampler: ") + err);
    consumed += idone;
    if (in != nullptr && consumed >= in_frames && odone < room) return {};
    if (in == nullptr && odone == 0) return {};
  }
  return make_error(ErrorCode::kInternal, "resampler: soxr made no progress");
}

Status Resampler::process(std::span<const int16_t> in, SecureVector<int16_t>& out) {
  if (in.size() % static_cast<size_t>(channels_) != 0) {
    return make_error(ErrorCode::kInvalidArgument, "resampler: sample count is not a multiple of the channels");
  }
  if (soxr_ == nullptr) {
    out.insert(out.end(), in.begin(), in.end());
    return {};
  }
  if (in.empty()) return {};
  return run(in.data(), in.size() / static_cast<size_t>(channels_), out);
}

Result<AudioFrame> Resampler::process(const AudioFrame& in) {
  if (in.sample_rate != in_rate_ || in.channels != channels_ || !in.valid()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "resampler: frame is " + std::to_string(in.sample_rate) + " Hz × " +
                          std::to_string(in.channels) + " ch, expected " + std::to_string(in_rate_) + " Hz × " +
                          std::to_string(channels_) + " ch");
  }
  AudioFrame out;
  out.sample_rate = out_rate_;
  out.channels = channels_;
  if (auto st = process(in.samples(), out.data); !st) return tl::unexpected(st.error());
  out.samples_per_channel = static_cast<int>(out.data.size()) / channels_;
  return out;
}

Status Resampler::flush(SecureVector<int16_t>& out) {
  if (soxr_ == nullptr) return {};
  auto st = run(nullptr, 0, out);
  if (!st) return st;
  // Ready for a new stream.
  if (soxr_error_t err = soxr_clear(soxr_); err != nullptr) {
    return make_error(ErrorCode::kInternal, std::string("resampler: ") + err);
  }
  return {};
}

}  // namespace parley::media
