// room_probe: parley's Room as a scriptable participant for the room integration tests (not a
// CLI command). Joins with Room::connect_sync, prints one JSON line per event on stdout and
// takes commands on stdin, one per line:
//
//   send_data <topic> <text>     a reliable user packet
//   send_text <topic> <text>     a text stream (header, chunks, trailer)
//   publish_wav <path>           publishes a track (once) and queues the file's audio on it
//   drop_signal                  cuts the signal connection as a network failure would
//   ports                        prints the UDP/TCP ports this process has open
//   leave                        leaves and exits 0
//
//   room_probe --room R --identity I [--url ws://…] [--no-udp] [--no-tcp] [--log-level trace|debug|info]
//              [--token-ttl SECONDS]   (a short-lived join token, given back in `joined` as token)
//              [--join-attempts N]     (tries of the first join, RoomOptions::join_attempts)
//              [--api-secret S]        (sign the token with S instead: a token the server refuses)
// Key and secret come from LIVEKIT_API_KEY / LIVEKIT_API_SECRET (devkey/secret by default).
//
// Events: joined (sid, ports), participant_joined/left, track_subscribed/unsubscribed, data,
// text, dtmf, published, reconnected (full), disconnected, selected_pair (from the ICE log),
// audio (once a second per track: frames and RMS in that second), error, left.
// Logs go to stderr as JSON lines.
#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/loop_pool.h"
#include "livekit/auth/access_token.h"
#include "livekit/room/room.h"
#include "media/pcm_source.h"
#include "media/wav_reader.h"

namespace lk = parley::livekit;
using nlohmann::json;

namespace {

std::mutex out_mutex;

void emit(const std::string& event, json fields = json::object()) {
  fields["event"] = event;
  std::lock_guard l(out_mutex);
  std::cout << fields.dump() << std::endl;
}

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// The socket inodes this process holds (/proc/self/fd → "socket:[N]").
std::set<std::string> own_socket_inodes() {
  std::set<std::string> out;
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    char target[128] = {};
    std::string path = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    std::string t(target, static_cast<size_t>(n));
    if (t.rfind("socket:[", 0) == 0) out.insert(t.substr(8, t.size() - 9));
  }
  closedir(d);
  return out;
}

// Local ports of this process's sockets in /proc/net/{udp,tcp} (IPv4; the stack is loopback
// IPv4). For TCP only listening and established sockets count.
json own_ports() {
  auto inodes = own_socket_inodes();
  json out = json::object();
  for (const char* proto : {"udp", "tcp"}) {
    std::ifstream f(std::string("/proc/net/") + proto);
    std::string line;
    std::getline(f, line);  // header
    json ports = json::array();
    while (std::getline(f, line)) {
      std::istringstream in(line);
      std::string slot, local, remote, state, queues, timer, retr, uid, timeout, inode;
      in >> slot >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
      if (!inodes.count(inode)) continue;
      auto colon = local.find(':');
      if (colon == std::string::npos) continue;
      unsigned long ip = std::stoul(local.substr(0, colon), nullptr, 16);
      int port = static_cast<int>(std::stoul(local.substr(colon + 1), nullptr, 16));
      char addr[32];
      std::snprintf(addr, sizeof(addr), "%lu.%lu.%lu.%lu", ip & 0xff, (ip >> 8) & 0xff, (ip >> 16) & 0xff, ip >> 24);
      ports.push_back({{"address", addr}, {"port", port}, {"state", state}});
    }
    out[proto] = ports;
  }
  return out;
}

// Audio heard per track, reported once a second.
struct AudioStats {
  std::mutex m;
  struct Track {
    std::string from;
    int64_t frames = 0;
    double energy = 0;
    int64_t samples = 0;
  };
  std::map<std::string, Track> tracks;

  void add(const lk::RemoteTrack& t, const parley::media::AudioFrame& f) {
    std::lock_guard l(m);
    auto& tr = tracks[t.sid];
    tr.from = t.participant_identity;
    ++tr.frames;
    for (int16_t s : f.samples()) tr.energy += static_cast<double>(s) * s;
    tr.samples += static_cast<int64_t>(f.samples().size());
  }
  void report() {
    std::lock_guard l(m);
    for (auto& [sid, tr] : tracks) {
      double rms = tr.samples > 0 ? std::sqrt(tr.energy / static_cast<double>(tr.samples)) : 0.0;
      emit("audio", {{"track", sid}, {"from", tr.from}, {"frames", tr.frames}, {"rms", rms}});
      tr.frames = tr.samples = 0;
      tr.energy = 0;
    }
  }
};

struct Args {
  std::string url = env_or("LIVEKIT_URL", "ws://127.0.0.1:7880");
  std::string room, identity;
  bool udp = true, tcp = true;
  std::string log_level = "info";
  int token_ttl_s = 600;
  bool show_token = false;
  int join_attempts = 1;
  std::string api_secret;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "room_probe: " << k << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--room") a.room = value();
    else if (k == "--identity") a.identity = value();
    else if (k == "--url") a.url = value();
    else if (k == "--no-udp") a.udp = false;
    else if (k == "--no-tcp") a.tcp = false;
    else if (k == "--log-level") a.log_level = value();
    else if (k == "--join-attempts") a.join_attempts = std::atoi(value().c_str());
    else if (k == "--api-secret") a.api_secret = value();
    else if (k == "--token-ttl") {
      a.token_ttl_s = std::atoi(value().c_str());
      a.show_token = true;
    }
    else {
      std::cerr << "room_probe: unknown argument " << k << "\n";
      std::exit(2);
    }
  }
  if (a.room.empty() || a.identity.empty()) {
    std::cerr << "usage: room_probe --room R --identity I [--url U] [--no-udp] [--no-tcp] [--log-level L]\n";
    std::exit(2);
  }
  return a;
}

json participant_json(const lk::Participant& p) {
  return {{"sid", p.sid}, {"identity", p.identity}, {"kind", std::string(lk::to_string(p.kind))}};
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse_args(argc, argv);
  parley::log::set_format(parley::log::Format::kJson);
  parley::log::Level level;
  if (!parley::log::parse_level(args.log_level, level)) {
    std::cerr << "room_probe: bad --log-level " << args.log_level << "\n";
    return 2;
  }
  parley::log::set_level(level);
  // Every log line goes to stderr; the ICE path chosen also becomes an event.
  parley::log::set_sink([](std::string_view line) {
    {
      std::lock_guard l(out_mutex);
      std::cerr << line << "\n";
    }
    if (line.find("ice: selected pair") == std::string_view::npos) return;
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded()) return;
    emit("selected_pair", {{"transport", j.value("transport", "")}, {"local", j.value("local", "")},
                           {"remote", j.value("remote", "")}});
  });

  lk::TokenClaims claims;
  claims.identity = args.identity;
  claims.name = args.identity;
  lk::VideoGrant grant;
  grant.room_join = true;
  grant.room = args.room;
  claims.video = grant;
  auto token = lk::mint_token(claims, env_or("LIVEKIT_API_KEY", "devkey"), args.api_secret.empty() ? env_or("LIVEKIT_API_SECRET", "secret") : args.api_secret,
                              std::chrono::seconds(args.token_ttl_s));
  if (!token) {
    emit("error", {{"what", "token"}, {"message", token.error().message}});
    return 1;
  }

  AudioStats stats;
  std::mutex gone_mutex;
  std::condition_variable gone_cv;
  bool gone = false;

  lk::RoomCallbacks cb;
  cb.on_participant_joined = [](const lk::Participant& p) { emit("participant_joined", participant_json(p)); };
  cb.on_participant_left = [](const lk::Participant& p) { emit("participant_left", participant_json(p)); };
  cb.on_track_subscribed = [](const lk::RemoteTrack& t) {
    emit("track_subscribed", {{"track", t.sid}, {"from", t.participant_identity}, {"name", t.name}});
  };
  cb.on_track_unsubscribed = [](const lk::RemoteTrack& t) {
    emit("track_unsubscribed", {{"track", t.sid}, {"from", t.participant_identity}});
  };
  cb.on_audio = [&stats](const lk::RemoteTrack& t, const parley::media::AudioFrame& f) { stats.add(t, f); };
  cb.on_data = [](const lk::DataMessage& m) {
    emit("data", {{"from", m.sender_identity}, {"topic", m.topic}, {"payload", m.payload}, {"reliable", m.reliable}});
  };
  cb.on_text = [](const lk::TextMessage& t) {
    emit("text", {{"from", t.sender_identity}, {"topic", t.topic}, {"text", t.text}, {"attributes", t.attributes},
                  {"stream_id", t.stream_id}});
  };
  cb.on_local_track_subscribed = [](const std::string& sid) { emit("local_track_subscribed", {{"track", sid}}); };
  cb.on_dtmf = [](const lk::DtmfEvent& d) { emit("dtmf", {{"from", d.sender_identity}, {"digit", d.digit}}); };
  cb.on_reconnected = [](bool full) { emit("reconnected", {{"full", full}}); };
  cb.on_disconnected = [&](const parley::Error& e) {
    emit("disconnected", {{"error", e.to_string()}});
    std::lock_guard l(gone_mutex);
    gone = true;
    gone_cv.notify_all();
  };

  lk::RoomOptions options;
  options.ice_udp = args.udp;
  options.ice_tcp = args.tcp;
  options.join_attempts = args.join_attempts;
  parley::LoopPool loops(1, 1);
  auto joined = lk::Room::connect_sync(loops, args.url, *token, options, cb);
  if (!joined) {
    emit("error", {{"what", "connect"}, {"message", joined.error().to_string()}});
    loops.stop();
    return 1;
  }
  std::shared_ptr<lk::Room> room = *joined;
  json joined_event = {{"sid", room->local_participant().sid}, {"room", room->room_name()}, {"ports", own_ports()}};
  if (args.show_token) joined_event["token"] = *token;  // a test token on the local dev key
  emit("joined", joined_event);

  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop) {
      std::unique_lock l(gone_mutex);
      gone_cv.wait_for(l, std::chrono::seconds(1), [&] { return stop.load(); });
      l.unlock();
      if (!stop) stats.report();
    }
  });

  std::shared_ptr<lk::LocalAudioTrack> track;
  auto pcm = std::make_shared<parley::media::PcmSource>();  // what the track sends
  std::string line;
  int rc = 0;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    std::string rest;
    std::getline(in >> std::ws, rest);
    if (cmd.empty()) continue;
    if (cmd == "leave") break;
    if (cmd == "ports") {
      emit("ports", own_ports());
    } else if (cmd == "drop_signal") {
      room->drop_signal_for_test();
      emit("signal_dropped");
    } else if (cmd == "send_data" || cmd == "send_text") {
      auto space = rest.find(' ');
      std::string topic = rest.substr(0, space);
      std::string text = space == std::string::npos ? "" : rest.substr(space + 1);
      auto s = cmd == "send_data" ? room->send_data(text, topic) : room->send_text(text, topic, {{"from", "parley"}});
      if (s) emit("sent", {{"what", cmd}, {"topic", topic}});
      else emit("error", {{"what", cmd}, {"message", s.error().to_string()}});
    } else if (cmd == "publish_wav") {
      auto wav = parley::media::WavReader::read_file(rest);
      if (!wav) {
        emit("error", {{"what", "publish_wav"}, {"message", wav.error().message}});
        continue;
      }
      if (!track) {
        std::promise<parley::Result<std::shared_ptr<lk::LocalAudioTrack>>> p;
        auto f = p.get_future();
        room->publish_audio("probe-mic", [&p](parley::Result<std::shared_ptr<lk::LocalAudioTrack>> r) { p.set_value(std::move(r)); });
        auto r = f.get();
        if (!r) {
          emit("error", {{"what", "publish"}, {"message", r.error().to_string()}});
          continue;
        }
        track = *r;
        track->set_source(pcm);
        emit("published", {{"track", track->sid()}});
      }
      auto s = pcm->push(wav->to_frame());
      if (s) s = pcm->flush();
      if (!s) emit("error", {{"what", "push"}, {"message", s.error().to_string()}});
      else emit("queued", {{"seconds", static_cast<double>(wav->frames()) / wav->sample_rate}});
    } else {
      emit("error", {{"what", "command"}, {"message", "unknown command " + cmd}});
      rc = 2;
    }
  }
  stop = true;
  gone_cv.notify_all();
  ticker.join();
  room->leave_sync();
  room.reset();
  loops.stop();
  emit("left", {{"frames_sent", track ? track->frames_sent() : 0}});
  return rc;
}
