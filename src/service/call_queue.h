// Calls waiting for a free slot (calls.max_concurrent) or for an instance that is not draining:
// at most one per room, oldest first. A phone caller keeps ringing while it waits (the SIP
// bridge answers once someone subscribes), so a call that can wait is not refused.
// Not thread-safe: CallAdmission uses it on its loop.
#pragma once

#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "livekit/webhook/webhook_event.h"

namespace parley::service {

class CallQueue {
 public:
  struct Entry {
    livekit::webhook::WebhookEvent joined;  // the caller's participant_joined (or the reconciler's sighting)
    Clock::time_point queued_at;
  };

  // False when the room already waits (a second caller of it joins the same call later).
  bool push(livekit::webhook::WebhookEvent joined, Clock::time_point now) {
    const std::string room = joined.room_name();
    if (by_room_.count(room)) return false;
    order_.push_back({std::move(joined), now});
    by_room_[room] = std::prev(order_.end());
    return true;
  }
  const Entry* find(const std::string& room) const {
    auto it = by_room_.find(room);
    return it == by_room_.end() ? nullptr : &*it->second;
  }
  bool erase(const std::string& room) {
    auto it = by_room_.find(room);
    if (it == by_room_.end()) return false;
    order_.erase(it->second);
    by_room_.erase(it);
    return true;
  }
  // The oldest entry, removed.
  std::optional<Entry> pop() {
    if (order_.empty()) return std::nullopt;
    Entry e = std::move(order_.front());
    by_room_.erase(e.joined.room_name());
    order_.pop_front();
    return e;
  }
  std::vector<std::string> rooms() const {
    std::vector<std::string> out;
    for (const auto& e : order_) out.push_back(e.joined.room_name());
    return out;
  }
  size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  void clear() {
    order_.clear();
    by_room_.clear();
  }

 private:
  std::list<Entry> order_;
  std::unordered_map<std::string, std::list<Entry>::iterator> by_room_;
};

}  // namespace parley::service
