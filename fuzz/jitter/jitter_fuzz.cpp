// Random packet sequences into the jitter buffer: pushes of real Opus packets (20/40/60 ms,
// with and without FEC) and of raw fuzz bytes, with any sequence numbers and timestamps
// (wraps, jumps, duplicates, reordering), interleaved with pulls (paced, and as received) and
// clock steps. Invariants: no crash; every frame pulled is exactly 20 ms; what is queued stays
// within the bounds; as received, what is ready runs dry.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <numbers>
#include <vector>

#include "core/clock.h"
#include "media/jitter_buffer.h"
#include "media/opus_encoder.h"

using namespace parley;

namespace {

std::vector<media::SecureVector<uint8_t>> make_packets() {
  std::vector<media::SecureVector<uint8_t>> out;
  for (int ms : {20, 40, 60, 10}) {
    for (bool fec : {false, true}) {
      media::OpusEncoderOptions o;
      o.fec = fec;
      o.expected_loss_percent = fec ? 20 : 0;
      auto enc = media::OpusEncoder::create(o);
      const int n = 48 * ms;
      for (int k = 0; k < 4; ++k) {
        media::AudioFrame f = media::AudioFrame::silence(48000, 1, std::chrono::milliseconds(ms));
        for (int i = 0; i < n; ++i) {
          f.data[static_cast<size_t>(i)] =
              static_cast<int16_t>(8000 * std::sin(2 * std::numbers::pi * (200 + 100 * k) * (i + k * n) / 48000.0));
        }
        if (auto p = (*enc)->encode(f)) out.push_back(std::move(*p));
      }
    }
  }
  return out;
}

struct Reader {
  const uint8_t* p;
  size_t n;
  bool empty() const { return n == 0; }
  uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | (static_cast<uint32_t>(u16()) << 16); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto packets = make_packets();
  Reader in{data, size};
  ManualClock clock;
  media::JitterBufferOptions o;
  o.sample_rate = (in.u8() & 1) ? 16000 : 48000;
  o.max_packets = 16;
  auto jb = media::JitterBuffer::create(clock, o);
  if (!jb) std::abort();
  uint16_t seq = in.u16();
  uint32_t ts = in.u32();
  const size_t frame_len = static_cast<size_t>(o.sample_rate / 50);
  while (!in.empty()) {
    const uint8_t op = in.u8();
    auto check = [&](const media::JitterFrame& f) {
      if (f.audio.samples_per_channel != static_cast<int>(frame_len) || f.audio.data.size() != frame_len) std::abort();
    };
    switch (op % 8) {
      case 0:  // the next packet in order
      case 1: {
        const auto& p = packets[in.u8() % packets.size()];
        (void)(*jb)->push(seq, ts, p);
        seq = static_cast<uint16_t>(seq + 1);
        ts += 960;
        break;
      }
      case 2: {  // any sequence number / timestamp offset from the current ones
        const auto& p = packets[in.u8() % packets.size()];
        const auto dseq = static_cast<int16_t>(in.u16());
        const auto dts = static_cast<int32_t>(in.u32());
        (void)(*jb)->push(static_cast<uint16_t>(seq + dseq), static_cast<uint32_t>(ts + static_cast<uint32_t>(dts)), p);
        break;
      }
      case 3: {  // raw bytes as a payload
        const size_t len = in.u8() % 64;
        std::vector<uint8_t> raw;
        for (size_t i = 0; i < len && !in.empty(); ++i) raw.push_back(in.u8());
        (void)(*jb)->push(in.u16(), in.u32(), raw);
        break;
      }
      case 4:
        check((*jb)->pull());
        break;
      case 5:
        clock.advance(std::chrono::milliseconds(in.u8()));
        break;
      case 6: {  // as received: everything ready (at most what 16 packets of 60 ms hold)
        int n = 0;
        while (auto f = (*jb)->pull_ready()) {
          check(*f);
          if (++n > 16 * 3 + 3) std::abort();
        }
        break;
      }
      case 7:
        if (auto f = (*jb)->pull_due()) check(*f);
        break;
    }
    // Bounded: at most max_packets of at most 60 ms, and never far over max_delay.
    if ((*jb)->buffered() > std::chrono::milliseconds(16 * 120)) std::abort();
  }
  const auto& st = (*jb)->stats();
  if (st.decoded + st.invalid > st.received + 1000000) std::abort();
  return 0;
}
