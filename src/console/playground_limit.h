// How many playground rooms the console hands out: at most `per_minute` tickets in any 60 s
// (console.playground_per_minute) and at most `max_rooms` playground rooms open at once
// (console.playground_rooms). Each room runs an agent with its engines, so the operator token
// alone must not let one browser (or a leaked token) start an unbounded number of them.
//
// A room counts as open while its call is live on the board, and, from its ticket until then,
// for `join_window`: a ticket whose browser never joins stops counting after it.
//
// Threading: one thread (the console's loop).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace parley::console {

struct PlaygroundLimits {
  int per_minute = 10;
  int max_rooms = 5;
  std::chrono::seconds join_window{60};
};

class PlaygroundLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Refusal {
    std::string message;  // for the 429's body: which limit, its config key, what to do
    int retry_after = 1;  // seconds (the Retry-After header)
  };

  // May another ticket be handed out now? `live_rooms`: the playground rooms live on the board.
  // Refusals record nothing; call opened() once the ticket is minted.
  std::optional<Refusal> check(const PlaygroundLimits& limits, Clock::time_point now,
                               const std::vector<std::string>& live_rooms);
  void opened(const std::string& room, Clock::time_point now);

 private:
  void forget(const PlaygroundLimits& limits, Clock::time_point now, const std::vector<std::string>& live_rooms);

  std::deque<Clock::time_point> minted_;             // the last minute's tickets
  std::map<std::string, Clock::time_point> joining_;  // tickets whose room is not live yet
};

}  // namespace parley::console
