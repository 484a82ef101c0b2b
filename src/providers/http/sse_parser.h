// Server-sent events (the WHATWG "text/event-stream" format), fed in arbitrary chunks: lines end
// in \n, \r\n or \r; "data:" lines accumulate (joined with \n) until a blank line dispatches the
// event; "event:" names it; lines starting with ':' are comments; other fields are ignored.
// A line longer than max_line bytes is an error (a server gone wrong must not eat memory).
// Not thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::providers {

struct SseEvent {
  std::string event;  // "" = "message"
  std::string data;
};

class SseParser {
 public:
  explicit SseParser(size_t max_line = 1 << 20) : max_line_(max_line) {}
  // Parses the chunk; calls on_event for each complete event. Stops at the first error.
  Status feed(std::string_view chunk, const std::function<void(SseEvent)>& on_event);
  // True when bytes of an unfinished event are buffered (the stream ended mid-event).
  bool pending() const { return !line_.empty() || has_data_; }

 private:
  void line(const std::function<void(SseEvent)>& on_event);
  size_t max_line_;
  std::string line_;
  bool last_cr_ = false;
  bool has_data_ = false;
  SseEvent current_;
};

}  // namespace parley::providers
