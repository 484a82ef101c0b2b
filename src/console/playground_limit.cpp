#include "console/playground_limit.h"

#include <algorithm>

namespace parley::console {

using namespace std::chrono;

void PlaygroundLimiter::forget(const PlaygroundLimits& limits, Clock::time_point now,
                               const std::vector<std::string>& live_rooms) {
  while (!minted_.empty() && now - minted_.front() >= minutes(1)) minted_.pop_front();
  for (auto it = joining_.begin(); it != joining_.end();) {
    bool live = std::find(live_rooms.begin(), live_rooms.end(), it->first) != live_rooms.end();
    // Live: the board counts it from now on (and stops when it ends). Never joined: let it go.
    if (live || now - it->second >= limits.join_window) {
      it = joining_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<PlaygroundLimiter::Refusal> PlaygroundLimiter::check(const PlaygroundLimits& limits,
                                                                   Clock::time_point now,
                                                                   const std::vector<std::string>& live_rooms) {
  forget(limits, now, live_rooms);
  if (static_cast<int>(minted_.size()) >= limits.per_minute) {
    auto wait = ceil<seconds>(minted_.front() + minutes(1) - now).count();
    return Refusal{"too many playground rooms asked for: " + std::to_string(limits.per_minute) +
                       " a minute at most (console.playground_per_minute); try again in " + std::to_string(wait) + " s",
                   static_cast<int>(std::max<int64_t>(wait, 1))};
  }
  auto open = live_rooms.size() + joining_.size();
  if (static_cast<int>(open) >= limits.max_rooms) {
    return Refusal{"too many playground rooms open: " + std::to_string(open) + " of " + std::to_string(limits.max_rooms) +
                       " (console.playground_rooms); hang one up and try again",
                   5};
  }
  return std::nullopt;
}

void PlaygroundLimiter::opened(const std::string& room, Clock::time_point now) {
  minted_.push_back(now);
  joining_[room] = now;
}

}  // namespace parley::console
