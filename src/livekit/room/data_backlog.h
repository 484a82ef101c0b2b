// Data the room was asked to send before its publisher's data channel opened, held in order and
// sent when the channel opens (LiveKit's own SDKs likewise wait for the publisher before they
// publish data). A call's first words need it: the agent greets as soon as it hears the caller,
// and the greeting's transcript is written some tens of milliseconds before SCTP has opened the
// channel over the fresh ICE and DTLS; without the backlog that transcript was dropped, and a
// caller waiting for it never saw the greeting.
//
// Bounded: past `max_bytes` held, a packet is refused (the channel is not coming up).
// Not thread-safe: the room's media loop only.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace parley::livekit {

class DataBacklog {
 public:
  explicit DataBacklog(size_t max_bytes = 1 << 20) : max_bytes_(max_bytes) {}

  // Packets of `label` are waiting: a new one must queue behind them, to keep the order.
  bool waiting(const std::string& label) const;
  // Holds one packet for `label`; an error naming the limit when the backlog is full.
  Status hold(const std::string& label, std::string packet);
  // Takes the packets held for `label`, oldest first.
  std::vector<std::string> take(const std::string& label);
  void clear();
  size_t bytes() const { return bytes_; }

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::map<std::string, std::deque<std::string>> held_;
};

}  // namespace parley::livekit
