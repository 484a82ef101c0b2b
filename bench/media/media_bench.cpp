// bench_media: CPU per 20 ms frame of the media path on real speech (flite, 48 kHz mono), as a
// table. The reference is the Opus decode floor (48 kHz mono, 32 kb/s, voice) measured in this
// same run; every other figure is also given as a ratio to it, so runs on different machines
// or under different load compare. Each figure is the median of 5 passes over 10 s of speech,
// in CPU time of the benchmark's thread.
//
//   build/bench/media/bench_media [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "media/jitter_buffer.h"
#include "media/opus_decoder.h"
#include "media/opus_encoder.h"
#include "media/resampler.h"
#include "providers/stt/pocketsphinx_stt.h"
#include "providers/tts/flite_tts.h"
#include "providers/vad/webrtc_vad.h"

using namespace parley;

// This thread's CPU time: the machine is shared (2 cores, several busy processes), and wall time
// would count the time other processes ran instead of us.
double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

namespace {

constexpr size_t kFrame = 960;  // 20 ms at 48 kHz

std::vector<int16_t> speech_48k(double seconds) {
  providers::FliteTts tts;
  providers::TtsRequest req;
  req.sample_rate = 48000;
  const char* lines[] = {"Good morning, thank you for calling.", "What are your opening hours on Saturday?",
                         "I would like to book a table for four people at seven.",
                         "Could you tell me where you are and how to get there?"};
  std::vector<int16_t> out;
  for (size_t i = 0; out.size() < static_cast<size_t>(seconds * 48000); ++i) {
    auto a = tts.synthesize(lines[i % 4], req);
    if (!a) {
      std::fprintf(stderr, "tts failed: %s\n", a.error().to_string().c_str());
      std::exit(1);
    }
    out.insert(out.end(), a->data.begin(), a->data.end());
  }
  out.resize(static_cast<size_t>(seconds * 48000) / kFrame * kFrame);
  return out;
}

// Median over passes of the µs per frame that `pass` spends on `frames` frames.
double median_us(int passes, size_t frames, const std::function<void()>& pass) {
  std::vector<double> t;
  for (int p = 0; p < passes; ++p) {
    const double t0 = thread_cpu_us();
    pass();
    t.push_back((thread_cpu_us() - t0) / static_cast<double>(frames));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::vector<media::SecureVector<uint8_t>> encode_all(const std::vector<int16_t>& pcm, const media::OpusEncoderOptions& o) {
  auto enc = media::OpusEncoder::create(o);
  std::vector<media::SecureVector<uint8_t>> packets;
  for (size_t i = 0; i < pcm.size(); i += kFrame) {
    packets.push_back(*(*enc)->encode(media::AudioFrame::from_samples(48000, 1, std::span<const int16_t>(pcm).subspan(i, kFrame))));
  }
  return packets;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int passes = quick ? 1 : 5;
  const auto pcm = speech_48k(quick ? 2.0 : 10.0);
  const size_t frames = pcm.size() / kFrame;
  std::vector<media::AudioFrame> in_frames;
  for (size_t i = 0; i < pcm.size(); i += kFrame) {
    in_frames.push_back(media::AudioFrame::from_samples(48000, 1, std::span<const int16_t>(pcm).subspan(i, kFrame)));
  }

  std::printf("media path CPU per 20 ms frame, 48 kHz mono speech (%zu frames, median of %d passes, thread CPU time)\n\n", frames, passes);

  // The floor: libopus alone.
  struct Row {
    std::string name;
    double encode, decode;
  };
  std::vector<Row> codec;
  auto packets = encode_all(pcm, {});
  const double floor_decode = median_us(passes, frames, [&] {
    auto dec = media::OpusDecoder::create();
    media::AudioFrame out;
    for (auto& p : packets) (void)(*dec)->decode(p, out);
  });
  for (auto [label, complexity, fec] : {std::tuple{"0", 0, false}, std::tuple{"5", 5, false},
                                        std::tuple{"5 + FEC", 5, true}, std::tuple{"10", 10, false}}) {
    media::OpusEncoderOptions o;
    o.complexity = complexity;
    o.fec = fec;
    o.expected_loss_percent = fec ? 10 : 0;
    std::vector<media::SecureVector<uint8_t>> pk;
    const double enc = median_us(passes, frames, [&] { pk = encode_all(pcm, o); });
    const double dec = median_us(passes, frames, [&] {
      auto d = media::OpusDecoder::create();
      media::AudioFrame out;
      for (auto& p : pk) (void)(*d)->decode(p, out);
    });
    codec.push_back({label, enc, dec});
  }
  std::printf("| Opus complexity | encode µs/frame | decode µs/frame | enc+dec | share of one core per call |\n");
  std::printf("|---|---|---|---|---|\n");
  for (auto& r : codec) {
    std::printf("| %s | %.1f | %.1f | %.1f | %.2f %% |\n", r.name.c_str(), r.encode, r.decode, r.encode + r.decode,
                (r.encode + r.decode) / 20000.0 * 100.0);
  }

  // The path on top of the floor.
  struct Cost {
    std::string name;
    double us;
  };
  std::vector<Cost> costs;
  costs.push_back({"Opus decode (the reference floor)", floor_decode});
  costs.push_back({"resample 48 → 16 kHz (soxr, medium quality)", median_us(passes, frames, [&] {
                     auto r = media::Resampler::create(48000, 16000, 1);
                     media::SecureVector<int16_t> out;
                     for (auto& f : in_frames) {
                       out.clear();
                       (void)(*r)->process(f.samples(), out);
                     }
                   })});
  costs.push_back({"resample 16 → 48 kHz", median_us(passes, frames, [&] {
                     auto r = media::Resampler::create(16000, 48000, 1);
                     std::vector<int16_t> in16(320, 100);
                     media::SecureVector<int16_t> out;
                     for (size_t i = 0; i < frames; ++i) {
                       out.clear();
                       (void)(*r)->process(in16, out);
                     }
                   })});
  auto jitter_pass = [&](int rate) {
    return median_us(passes, frames, [&, rate] {
      ManualClock clock;
      media::JitterBufferOptions o;
      o.sample_rate = rate;
      auto jb = media::JitterBuffer::create(clock, o);
      for (size_t k = 0; k < packets.size(); ++k) {
        (void)(*jb)->push(static_cast<uint16_t>(k), static_cast<uint32_t>(k * kFrame), packets[k]);
        auto f = (*jb)->pull();
        (void)f;
        clock.advance(std::chrono::milliseconds(20));
      }
    });
  };
  costs.push_back({"jitter buffer push + pull, decoding to 48 kHz", jitter_pass(48000)});
  costs.push_back({"jitter buffer push + pull, decoding to 16 kHz", jitter_pass(16000)});
  costs.push_back({"WebRTC VAD, 20 ms at 48 kHz", median_us(passes, frames, [&] {
                     auto v = providers::WebRtcVad::create(3);
                     for (auto& f : in_frames) (void)(*v)->is_speech(f.samples(), 48000);
                   })});
  if (auto stt = providers::PocketsphinxStt::create({}); stt) {
    std::vector<media::AudioFrame> f16;
    auto r = media::Resampler::create(48000, 16000, 1);
    for (auto& f : in_frames) f16.push_back(*(*r)->process(f));
    costs.push_back({"pocketsphinx STT (16 kHz frames, streaming)", median_us(quick ? 1 : 3, frames, [&] {
                       auto s = (*stt)->open_stream({});
                       for (auto& f : f16) (void)(*s)->push_frame(f);
                       (void)(*s)->flush();
                     })});
  }
  std::printf("\n| stage | µs per 20 ms frame | × Opus decode floor | share of one core per call |\n");
  std::printf("|---|---|---|---|\n");
  for (auto& c : costs) {
    std::printf("| %s | %.1f | %.2f | %.3f %% |\n", c.name.c_str(), c.us, c.us / floor_decode, c.us / 20000.0 * 100.0);
  }
  return 0;
}
