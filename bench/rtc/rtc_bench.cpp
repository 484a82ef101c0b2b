// bench_rtc: CPU per 20 ms audio packet on our send and receive paths, in thread CPU time (the
// machine is shared), against libopus encoding the same frame at complexity 5 in the same run.
//   send: RTP header + ssrc-audio-level extension, SRTP protect (AEAD-AES-128-GCM and
//         AES-CM-128-HMAC-SHA1-80)
//   recv: SRTP unprotect + RTP parse
#include <opus/opus.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "livekit/rtc/rtp_packet.h"
#include "livekit/rtc/srtp_session.h"

using namespace parley::rtc;

namespace {

double cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

template <class F>
double median_us_per_op(int ops, F fn) {
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    const double t0 = cpu_us();
    for (int i = 0; i < ops; ++i) fn(i);
    runs.push_back((cpu_us() - t0) / ops);
  }
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

}  // namespace

int main() {
  // 20 ms of a voice-like signal (two tones), encoded once per iteration.
  std::vector<int16_t> pcm(960);
  int err = 0;
  OpusEncoder* enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(5));
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
  std::vector<uint8_t> opus(1500);
  int opus_len = 0;
  const double encode = median_us_per_op(500, [&](int i) {
    for (int s = 0; s < 960; ++s) {
      const double t = (i * 960 + s) / 48000.0;
      pcm[s] = static_cast<int16_t>(6000 * std::sin(2 * M_PI * 220 * t) + 3000 * std::sin(2 * M_PI * 1330 * t));
    }
    opus_len = opus_encode(enc, pcm.data(), 960, opus.data(), static_cast<int>(opus.size()));
  });
  opus.resize(static_cast<size_t>(std::max(opus_len, 1)));
  opus_encoder_destroy(enc);

  std::printf("Opus frame: %d bytes\n\n", opus_len);
  std::printf("| path | µs per 20 ms packet | × Opus encode (c5) | share of one core per call |\n");
  std::printf("|---|---|---|---|\n");
  std::printf("| Opus encode, complexity 5 (reference) | %.2f | 1.000 | %.3f %% |\n", encode, encode / 200.0);
  for (auto profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmSha1_80}) {
    const auto lens = srtp_key_lengths(profile);
    std::vector<uint8_t> k1(lens.key + lens.salt, 0x11), k2(lens.key + lens.salt, 0x22);
    auto tx = SrtpSession::create(profile, k1, k2);
    auto rx = SrtpSession::create(profile, k2, k1);
    if (!tx || !rx) return 1;
    const char* name = profile == SrtpProfile::kAeadAes128Gcm ? "AEAD-AES-128-GCM" : "AES-CM-128-HMAC-SHA1-80";
    // Packets are protected in order once; the receive pass replays them in order.
    const int n = 3000;
    std::vector<std::vector<uint8_t>> wire;
    wire.reserve(5 * n);
    std::vector<uint8_t> buf;
    uint16_t seq = 0;
    uint32_t ts = 0;
    const double send = median_us_per_op(n, [&](int) {
      build_rtp({false, 111, seq++, ts += 960, 0x12345678, 1, 30, true}, opus, buf, kSrtpMaxTrailer);
      (void)(*tx)->protect_rtp(buf);
      wire.push_back(buf);
    });
    size_t next = 0;
    size_t parsed = 0;
    const double recv = median_us_per_op(n, [&](int) {
      std::vector<uint8_t>& p = wire[next++];
      if ((*rx)->unprotect_rtp(p) && parse_rtp(p, 1, 0)) ++parsed;
    });
    std::printf("| send: RTP build + SRTP protect (%s) | %.2f | %.3f | %.4f %% |\n", name, send, send / encode, send / 200.0);
    std::printf("| recv: SRTP unprotect + RTP parse (%s) | %.2f | %.3f | %.4f %% |\n", name, recv, recv / encode, recv / 200.0);
    if (parsed != wire.size()) std::printf("(!) only %zu of %zu packets verified\n", parsed, wire.size());
  }
  return 0;
}
