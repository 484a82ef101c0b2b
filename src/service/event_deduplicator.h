// Remembers the ids of webhook events already accepted, so that LiveKit's retries (the same
// event id, resent when our answer was lost) and replays of a captured request are acted on
// once. Bounded: the oldest ids are forgotten first; LiveKit drops events older than 30 s (§6),
// so a few thousand ids cover every retry. Thread-safe.
#pragma once

#include <mutex>
#include <string>

#include "service/bounded_id_set.h"

namespace parley::service {

class EventDeduplicator {
 public:
  explicit EventDeduplicator(size_t capacity = 16384) : ids_(capacity) {}
  // True the first time an id is seen.
  bool first_time(const std::string& id) {
    std::lock_guard lock(mutex_);
    return ids_.insert(id);
  }

 private:
  std::mutex mutex_;
  BoundedIdSet ids_;
};

}  // namespace parley::service
