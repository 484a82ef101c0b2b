// Reassembles LiveKit text streams (livekit-protocol.md §3: DataStream Header, Chunks, Trailer
// keyed by stream_id) into whole messages: lk.chat, lk.transcription and any other topic.
// Trailer attributes are merged over the header's. Memory is bounded: at most max_streams open
// streams of at most max_bytes each; streams over the limit, or idle past the timeout, are
// dropped (and counted). Not thread-safe: the room's media loop owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "livekit/proto/livekit_models.pb.h"

namespace parley::livekit {

struct TextStream {
  std::string stream_id;
  std::string topic;
  std::string sender_identity;
  std::string text;
  std::map<std::string, std::string> attributes;
  int64_t timestamp_ms = 0;
  std::string abort_reason;  // non-empty when the sender ended it abnormally
};

class TextStreamReader {
 public:
  struct Limits {
    size_t max_streams = 32;
    size_t max_bytes = 256 * 1024;
    std::chrono::milliseconds idle_timeout{30'000};
  };
  TextStreamReader() : TextStreamReader(Limits{}) {}
  explicit TextStreamReader(Limits limits) : limits_(limits) {}

  // Feeds one packet; returns the finished stream when p was its trailer (or a header with
  // inline content). Byte streams (byte_header) are ignored.
  std::optional<TextStream> on_packet(const ::livekit::DataPacket& p,
                                      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  size_t open_streams() const { return open_.size(); }
  uint64_t dropped() const { return dropped_; }
  void clear();

 private:
  struct Open {
    TextStream stream;
    uint64_t next_chunk = 0;
    std::map<uint64_t, std::string> out_of_order;
    std::chrono::steady_clock::time_point last;
  };
  void expire(std::chrono::steady_clock::time_point now);

  Limits limits_;
  std::map<std::string, Open> open_;
  uint64_t dropped_ = 0;
};

}  // namespace parley::livekit
