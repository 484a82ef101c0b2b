// A set of strings that remembers at most `capacity` of them, forgetting the oldest first:
// enough memory to recognise retries and late events without growing forever.
// Not thread-safe (EventDeduplicator adds a lock).
#pragma once

#include <deque>
#include <string>
#include <unordered_set>

namespace parley::service {

class BoundedIdSet {
 public:
  explicit BoundedIdSet(size_t capacity) : capacity_(capacity ? capacity : 1) {}

  bool contains(const std::string& id) const { return set_.count(id) > 0; }
  // True when the id is new (and now remembered); false when it was already there.
  bool insert(const std::string& id) {
    if (!set_.insert(id).second) return false;
    order_.push_back(id);
    if (order_.size() > capacity_) {
      set_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }
  size_t size() const { return set_.size(); }

 private:
  size_t capacity_;
  std::unordered_set<std::string> set_;
  std::deque<std::string> order_;
};

}  // namespace parley::service
