// Two of our PeerConnections in one process, each on its own GlibLoop, over real ICE (libnice on
// 127.0.0.1), DTLS, SRTP and SCTP: A offers an Opus track and LiveKit's two data channels, B
// answers; Opus frames from libopus and data-channel messages cross in both directions.
#include <gtest/gtest.h>
#include <opus/opus.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <future>
#include <mutex>

#include "core/glib_loop.h"
#include "livekit/rtc/peer_connection.h"

namespace parley::rtc {
namespace {

using namespace std::chrono_literals;

template <class F>
auto run_on(GlibLoop& loop, F fn) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto fut = task.get_future();
  loop.post([&task] { task(); });
  return fut.get();
}

// Everything the callbacks saw, guarded for the test thread.
struct Observed {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<PeerState> states;
  std::vector<std::string> opened;
  std::vector<std::pair<std::string, std::string>> messages;  // label, text
  std::vector<RtpAudioPacket> audio;
  std::vector<std::string> candidates;

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(*this); });
  }
  void notify() { cv.notify_all(); }
  bool has_state(PeerState s) const { return std::find(states.begin(), states.end(), s) != states.end(); }
  bool has_open(const std::string& l) const { return std::find(opened.begin(), opened.end(), l) != opened.end(); }
};

struct Peer {
  GlibLoop loop;
  std::unique_ptr<PeerConnection> pc;
  Observed seen;
  explicit Peer(const char* name) : loop(name) {}
};

PeerCallbacks callbacks_for(Peer& self, Peer& other) {
  PeerCallbacks cb;
  cb.on_local_candidate = [&self, &other](const IceCandidateInit& c) {
    {
      std::lock_guard<std::mutex> lock(self.seen.mu);
      self.seen.candidates.push_back(c.candidate);
    }
    // Over "signalling": JSON, as LiveKit's trickle carries it.
    std::string json = c.to_json();
    other.loop.post([&other, json] {
      auto parsed = IceCandidateInit::from_json(json);
      EXPECT_TRUE(parsed);
      if (parsed && other.pc) {
        auto s = other.pc->add_remote_candidate(*parsed);
        EXPECT_TRUE(s) << s.error().to_string();
      }
    });
  };
  cb.on_state = [&self](PeerState s) {
    std::lock_guard<std::mutex> lock(self.seen.mu);
    self.seen.states.push_back(s);
    self.seen.notify();
  };
  cb.on_audio = [&self](const RtpAudioPacket& p) {
    std::lock_guard<std::mutex> lock(self.seen.mu);
    self.seen.audio.push_back(p);
    self.seen.notify();
  };
  cb.on_data = [&self](const std::string& label, std::span<const uint8_t> d, bool) {
    std::lock_guard<std::mutex> lock(self.seen.mu);
    self.seen.messages.emplace_back(label, std::string(d.begin(), d.end()));
    self.seen.notify();
  };
  cb.on_data_channel_open = [&self](const std::string& label) {
    std::lock_guard<std::mutex> lock(self.seen.mu);
    self.seen.opened.push_back(label);
    self.seen.notify();
  };
  return cb;
}

std::vector<std::vector<uint8_t>> encode_sine(int frames) {
  int err = 0;
  OpusEncoder* enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
  EXPECT_EQ(err, OPUS_OK);
  std::vector<std::vector<uint8_t>> out;
  std::vector<int16_t> pcm(960);
  for (int f = 0; f < frames; ++f) {
    for (int i = 0; i < 960; ++i) {
      pcm[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * (f * 960 + i) / 48000.0));
    }
    std::vector<uint8_t> packet(1500);
    int n = opus_encode(enc, pcm.data(), 960, packet.data(), static_cast<int>(packet.size()));
    EXPECT_GT(n, 0);
    // Shrink only (erase): GCC 12 at -O2 takes a growing resize() for an overflow of the 1500.
    packet.erase(packet.begin() + std::clamp(n, 0, 1500), packet.end());
    out.push_back(std::move(packet));
  }
  opus_encoder_destroy(enc);
  return out;
}

void run_two_peers(bool udp, bool ice_restart = false) {
  Peer a("pc-a"), b("pc-b");
  PeerConfig config;
  config.loopback_only = true;
  config.ice_udp = udp;
  config.ice_tcp = true;
  AudioTrackSender* sender = nullptr;
  std::string offer = run_on(a.loop, [&] {
    config.name = "a";
    a.pc = PeerConnection::create(a.loop, config, callbacks_for(a, b));
    sender = a.pc->add_audio_track("stream-a", "TR_a");
    EXPECT_NE(sender, nullptr);
    EXPECT_TRUE(a.pc->create_data_channel("_reliable", true, std::nullopt));
    EXPECT_TRUE(a.pc->create_data_channel("_lossy", false, 0));
    auto o = a.pc->create_offer(false);
    EXPECT_TRUE(o) << o.error().to_string();
    return o.value_or("");
  });
  ASSERT_FALSE(offer.empty());
  std::string answer = run_on(b.loop, [&] {
    config.name = "b";
    b.pc = PeerConnection::create(b.loop, config, callbacks_for(b, a));
    auto r = b.pc->create_answer(offer);
    EXPECT_TRUE(r) << r.error().to_string();
    return r.value_or("");
  });
  ASSERT_FALSE(answer.empty());
  EXPECT_NE(answer.find("a=setup:active"), std::string::npos);
  // The track's audio may go out only once the answer accepted its m-section (JSEP): RTP on an
  // SSRC the remote side has no description for yet can be dropped for good.
  EXPECT_FALSE(run_on(a.loop, [&] { return sender->negotiated(); })) << "negotiated before the answer";
  auto set = run_on(a.loop, [&] { return a.pc->set_answer(answer); });
  ASSERT_TRUE(set) << set.error().to_string();
  EXPECT_TRUE(run_on(a.loop, [&] { return sender->negotiated(); })) << "not negotiated after the answer";

  auto connected = [](Observed& o) { return o.has_state(PeerState::kConnected); };
  ASSERT_TRUE(a.seen.wait(connected)) << "A never connected";
  ASSERT_TRUE(b.seen.wait(connected)) << "B never connected";
  {
    std::lock_guard<std::mutex> lock(a.seen.mu);
    for (const auto& c : a.seen.candidates) {
      EXPECT_NE(c.find("127.0.0.1"), std::string::npos) << c;  // loopback only
      EXPECT_EQ(c.find(".local"), std::string::npos) << c;
      if (!udp) {
        EXPECT_NE(c.find(" tcp "), std::string::npos) << c;
      }
    }
    EXPECT_FALSE(a.seen.candidates.empty());
  }

  // Audio A → B: real Opus frames, every one arrives intact and in order with its level.
  const auto frames = encode_sine(50);
  for (size_t i = 0; i < frames.size(); ++i) {
    run_on(a.loop, [&] {
      sender->send_opus(frames[i], 960, static_cast<uint8_t>(20 + i % 10));
      return 0;
    });
    std::this_thread::sleep_for(2ms);  // paced a little, like a 20 ms clock would
  }
  ASSERT_TRUE(b.seen.wait([&](Observed& o) { return o.audio.size() >= frames.size(); }))
      << "B received " << b.seen.audio.size() << " of " << frames.size() << " packets";
  {
    std::lock_guard<std::mutex> lock(b.seen.mu);
    OpusDecoder* dec = opus_decoder_create(48000, 1, nullptr);
    double energy = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
      const auto& p = b.seen.audio[i];
      EXPECT_EQ(p.payload, frames[i]) << "packet " << i;
      EXPECT_EQ(p.ssrc, sender->ssrc());
      EXPECT_EQ(p.audio_level, 20 + i % 10);
      if (i > 0) {
        EXPECT_EQ(static_cast<uint16_t>(p.seq - b.seen.audio[i - 1].seq), 1);
        EXPECT_EQ(p.timestamp - b.seen.audio[i - 1].timestamp, 960u);
      }
      std::vector<int16_t> pcm(960);
      int n = opus_decode(dec, p.payload.data(), static_cast<int>(p.payload.size()), pcm.data(), 960, 0);
      EXPECT_EQ(n, 960);
      for (int16_t s : pcm) energy += static_cast<double>(s) * s;
    }
    opus_decoder_destroy(dec);
    EXPECT_GT(energy / (960.0 * frames.size()), 1e6);  // a sine of amplitude 8000 survived
  }

  // A pause in sending (an agent between replies): the next packet starts a talkspurt (marker)
  // and its timestamp has run on with the sampling clock, in whole frames — else a receiver's
  // transit time jumps by the pause and its jitter estimate (and buffer) with it.
  const auto last_sent = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(300ms);
  const auto resumed = std::chrono::steady_clock::now();
  run_on(a.loop, [&] {
    sender->send_opus(frames[0], 960, 30);
    return 0;
  });
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(b.seen.wait([&](Observed& o) { return o.audio.size() > frames.size(); })) << "no packet after the pause";
  {
    std::lock_guard<std::mutex> lock(b.seen.mu);
    const auto& p = b.seen.audio[frames.size()];
    EXPECT_TRUE(p.marker);
    const uint32_t step = p.timestamp - b.seen.audio[frames.size() - 1].timestamp;
    EXPECT_EQ(step % 960, 0u) << step;
    const auto frames_at = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 20; };
    EXPECT_GE(step / 960, frames_at(resumed - last_sent)) << step;
    EXPECT_LE(step / 960, frames_at(sent - last_sent) + 2) << step;
  }

  if (ice_restart) {
    // A restarts ICE (new credentials, candidates re-trickled); media keeps flowing after.
    const size_t before_candidates = [&] {
      std::lock_guard<std::mutex> lock(a.seen.mu);
      return a.seen.candidates.size();
    }();
    std::string offer2 = run_on(a.loop, [&] {
      auto o = a.pc->create_offer(true);
      EXPECT_TRUE(o) << o.error().to_string();
      return o.value_or("");
    });
    EXPECT_NE(offer2, offer);
    std::string answer2 = run_on(b.loop, [&] {
      auto r = b.pc->create_answer(offer2);
      EXPECT_TRUE(r) << r.error().to_string();
      return r.value_or("");
    });
    auto set2 = run_on(a.loop, [&] { return a.pc->set_answer(answer2); });
    ASSERT_TRUE(set2) << set2.error().to_string();
    ASSERT_TRUE(a.seen.wait([&](Observed& o) { return o.candidates.size() > before_candidates; }));
    const size_t had = [&] {
      std::lock_guard<std::mutex> lock(b.seen.mu);
      return b.seen.audio.size();
    }();
    for (int i = 0; i < 100; ++i) {
      run_on(a.loop, [&] {
        sender->send_opus(frames[0], 960, 40);
        return 0;
      });
      if (b.seen.wait([&](Observed& o) { return o.audio.size() >= had + 10; }, 20ms)) break;
    }
    ASSERT_TRUE(b.seen.wait([&](Observed& o) { return o.audio.size() >= had + 10; })) << "no audio after the ICE restart";
    std::lock_guard<std::mutex> lock(a.seen.mu);
    EXPECT_FALSE(a.seen.has_state(PeerState::kFailed));
  }

  // Data channels: B sees A's opens, messages flow both ways on both labels.
  ASSERT_TRUE(b.seen.wait([](Observed& o) { return o.has_open("_reliable") && o.has_open("_lossy"); }));
  ASSERT_TRUE(a.seen.wait([](Observed& o) { return o.has_open("_reliable") && o.has_open("_lossy"); }));
  const std::string hello = "hello from a", big(20000, 'x');
  run_on(a.loop, [&] {
    EXPECT_TRUE(a.pc->send_data("_reliable", {reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}));
    EXPECT_TRUE(a.pc->send_data("_reliable", {reinterpret_cast<const uint8_t*>(big.data()), big.size()}));
    EXPECT_TRUE(a.pc->send_data("_lossy", {reinterpret_cast<const uint8_t*>("lossy"), 5}));
    return 0;
  });
  ASSERT_TRUE(b.seen.wait([](Observed& o) { return o.messages.size() >= 3; }));
  run_on(b.loop, [&] {
    EXPECT_TRUE(b.pc->send_data("_reliable", {reinterpret_cast<const uint8_t*>("reply"), 5}, false));
    EXPECT_FALSE(b.pc->send_data("_nope", {reinterpret_cast<const uint8_t*>("x"), 1}));
    return 0;
  });
  ASSERT_TRUE(a.seen.wait([](Observed& o) { return !o.messages.empty(); }));
  {
    std::lock_guard<std::mutex> lock(b.seen.mu);
    EXPECT_EQ(b.seen.messages[0], (std::pair<std::string, std::string>{"_reliable", hello}));
    EXPECT_EQ(b.seen.messages[1], (std::pair<std::string, std::string>{"_reliable", big}));
    EXPECT_EQ(b.seen.messages[2], (std::pair<std::string, std::string>{"_lossy", "lossy"}));
  }
  {
    std::lock_guard<std::mutex> lock(a.seen.mu);
    EXPECT_EQ(a.seen.messages[0], (std::pair<std::string, std::string>{"_reliable", "reply"}));
  }
  run_on(a.loop, [&] {
    a.pc->close();
    EXPECT_EQ(a.pc->state(), PeerState::kClosed);
    a.pc.reset();
    return 0;
  });
  run_on(b.loop, [&] {
    b.pc.reset();
    return 0;
  });
}

TEST(PeerConnection, TwoPeersOverLoopbackUdp) { run_two_peers(true); }

TEST(PeerConnection, TwoPeersOverLoopbackTcpOnly) { run_two_peers(false); }

TEST(PeerConnection, IceRestartKeepsMediaFlowing) { run_two_peers(true, true); }

TEST(PeerConnection, RejectsBadSdpAndMisuse) {
  GlibLoop loop("pc-bad");
  run_on(loop, [&] {
    PeerConfig config;
    config.loopback_only = true;
    auto pc = PeerConnection::create(loop, config, {});
    auto r = pc->create_answer("v=0\r\nm=audio x\r\n");
    EXPECT_FALSE(r);
    auto r2 = pc->create_answer("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n");
    EXPECT_FALSE(r2);
    if (!r2) {
      EXPECT_NE(r2.error().message.find("ice-ufrag"), std::string::npos) << r2.error().message;
    }
    EXPECT_FALSE(pc->set_answer("v=0\r\n"));  // no offer pending
    auto o = pc->create_offer(false);
    EXPECT_FALSE(o);  // nothing to offer
    IceCandidateInit bad;
    bad.candidate = "candidate:1 1 sctp 1 127.0.0.1 9 typ host";
    EXPECT_FALSE(pc->add_remote_candidate(bad));
    pc->close();
    EXPECT_FALSE(pc->send_data("_reliable", {}));
    return 0;
  });
}

}  // namespace
}  // namespace parley::rtc
