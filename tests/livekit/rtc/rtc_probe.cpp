// rtc_probe: our PeerConnections driven over stdin/stdout (one JSON object per line), so a test
// harness that speaks LiveKit's signal protocol (livekit_interop_test.py) can put our transport
// in front of a real livekit-server. Publisher PC: an Opus track (a 440 Hz sine from libopus,
// sent every 20 ms once connected) and the _reliable/_lossy channels; subscriber PC: answers
// the server's offers and counts the Opus packets and data messages it receives.
//
// in:  {"op":"publish","track_id":…}  {"op":"answer","sdp":…}  {"op":"offer","sdp":…}
//      {"op":"candidate","target":"pub"|"sub","init":"<json>"}  {"op":"send_data","label":…,"hex":…}
//      {"op":"quit"}
// out: {"ev":"offer"|"answer","sdp":…}  {"ev":"candidate","target":…,"init":…}
//      {"ev":"state","target":…,"state":…}  {"ev":"audio","target":…,"packets":N,"bytes":N,"levels":N}
//      {"ev":"data","target":…,"label":…,"hex":…}  {"ev":"open","target":…,"label":…}  {"ev":"error",…}
#include <opus/opus.h>

#include <cmath>
#include <iostream>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/glib_loop.h"
#include "livekit/rtc/peer_connection.h"

using namespace parley;
using namespace parley::rtc;

namespace {

std::mutex out_mu;
void emit(const nlohmann::json& j) {
  std::lock_guard<std::mutex> lock(out_mu);
  std::cout << j.dump() << std::endl;
}

std::string hex(std::span<const uint8_t> d) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += k[b >> 4];
    s += k[b & 15];
  }
  return s;
}

std::vector<uint8_t> unhex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

struct Probe {
  GlibLoop loop{"probe"};
  std::unique_ptr<PeerConnection> pub, sub;
  AudioTrackSender* sender = nullptr;
  OpusEncoder* enc = nullptr;
  uint64_t frame = 0;
  TimerHandle pacer;
  std::map<std::string, uint64_t> packets, bytes, levels;

  PeerCallbacks callbacks(const std::string& target) {
    PeerCallbacks cb;
    cb.on_local_candidate = [target](const IceCandidateInit& c) {
      emit({{"ev", "candidate"}, {"target", target}, {"init", c.to_json()}});
    };
    cb.on_state = [this, target](PeerState s) {
      emit({{"ev", "state"}, {"target", target}, {"state", std::string(to_string(s))}});
      if (target == "pub" && s == PeerState::kConnected) start_audio();
    };
    cb.on_audio = [this, target](const RtpAudioPacket& p) {
      packets[target]++;
      bytes[target] += p.payload.size();
      if (p.audio_level) levels[target]++;
      if (packets[target] % 25 == 1) {
        emit({{"ev", "audio"}, {"target", target}, {"packets", packets[target]}, {"bytes", bytes[target]},
              {"levels", levels[target]}, {"ssrc", p.ssrc}, {"mid", p.mid}});
      }
    };
    cb.on_data = [target](const std::string& label, std::span<const uint8_t> d, bool binary) {
      emit({{"ev", "data"}, {"target", target}, {"label", label}, {"hex", hex(d)}, {"binary", binary}});
    };
    cb.on_data_channel_open = [target](const std::string& label) {
      emit({{"ev", "open"}, {"target", target}, {"label", label}});
    };
    return cb;
  }

  PeerConfig config(const char* name) {
    PeerConfig c;
    c.loopback_only = true;
    c.name = name;
    return c;
  }

  void start_audio() {
    if (pacer.active()) return;
    int err = 0;
    enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    tick();
  }

  void tick() {
    std::vector<int16_t> pcm(960);
    for (int i = 0; i < 960; ++i) {
      pcm[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * static_cast<double>(frame * 960 + i) / 48000.0));
    }
    std::vector<uint8_t> packet(1500);
    int n = opus_encode(enc, pcm.data(), 960, packet.data(), static_cast<int>(packet.size()));
    if (n > 0 && sender) sender->send_opus({packet.data(), static_cast<size_t>(n)}, 960, 30);
    ++frame;
    pacer = loop.post_after(std::chrono::milliseconds(20), [this] { tick(); });
  }

  void handle(const nlohmann::json& j) {
    const std::string op = j.value("op", "");
    auto fail = [](const Error& e) { emit({{"ev", "error"}, {"error", e.to_string()}}); };
    if (op == "publish") {
      if (!pub) pub = PeerConnection::create(loop, config("publisher"), callbacks("pub"));
      sender = pub->add_audio_track("probe-stream", j.value("track_id", "TR_probe"));
      (void)pub->create_data_channel("_reliable", true, std::nullopt);
      (void)pub->create_data_channel("_lossy", false, 0);
      auto offer = pub->create_offer(false);
      if (!offer) return fail(offer.error());
      emit({{"ev", "offer"}, {"sdp", *offer}});
    } else if (op == "answer") {
      if (auto s = pub->set_answer(j.value("sdp", "")); !s) fail(s.error());
    } else if (op == "offer") {
      if (!sub) sub = PeerConnection::create(loop, config("subscriber"), callbacks("sub"));
      auto answer = sub->create_answer(j.value("sdp", ""));
      if (!answer) return fail(answer.error());
      emit({{"ev", "answer"}, {"sdp", *answer}});
    } else if (op == "candidate") {
      auto init = IceCandidateInit::from_json(j.value("init", ""));
      if (!init) return fail(init.error());
      PeerConnection* pc = j.value("target", "") == "pub" ? pub.get() : sub.get();
      if (pc == nullptr) return;
      if (auto s = pc->add_remote_candidate(*init); !s) fail(s.error());
    } else if (op == "send_data") {
      PeerConnection* pc = pub ? pub.get() : sub.get();
      auto data = unhex(j.value("hex", ""));
      if (auto s = pc->send_data(j.value("label", "_reliable"), data); !s) fail(s.error());
    }
  }
};

}  // namespace

int main() {
  Probe probe;
  std::string line;
  while (std::getline(std::cin, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      emit({{"ev", "error"}, {"error", "bad input line"}});
      continue;
    }
    if (j.value("op", "") == "quit") break;
    probe.loop.post([&probe, j] { probe.handle(j); });
  }
  std::promise<void> done;
  probe.loop.post([&] {
    probe.pacer.cancel();
    if (probe.pub) probe.pub->close();
    if (probe.sub) probe.sub->close();
    probe.pub.reset();
    probe.sub.reset();
    if (probe.enc) opus_encoder_destroy(probe.enc);
    done.set_value();
  });
  done.get_future().wait();
  return 0;
}
