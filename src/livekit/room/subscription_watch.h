// Which audio tracks of other participants the server has not offered this room in time, and
// when to ask it again. A caller whose track is never offered is a call nobody answers: the
// agent waits for audio that cannot come. The server normally subscribes an auto-subscribing
// participant to every track at once; when it has not after a grace period (a subscription it
// gave up on, a SubscriptionResponse error, a negotiation that never bound the track), the room
// asks explicitly: first a plain subscribe (the server reconciles its subscriptions on every
// request), then, if that did not help, an unsubscribe followed by a subscribe, which makes the
// server drop what it holds for the track and offer it afresh. Asks back off up to max_interval.
//
// Pure bookkeeping on the room's media loop: the room feeds it what the server says (participant
// infos, the tracks in each subscriber offer, subscription errors) and sends what due() returns.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace parley::livekit {

class SubscriptionWatch {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::milliseconds grace{4000};          // from published (or dropped) to the first ask
    std::chrono::milliseconds resubscribe_gap{1000};  // from the unsubscribe to its subscribe
    std::chrono::milliseconds max_interval{30'000};
  };
  struct Ask {
    std::string track_sid;
    std::string participant_sid;
    bool subscribe = true;  // false: the unsubscribe half of a resubscribe
    int attempt = 0;        // 1 for the first ask about this track since it went missing
  };

  explicit SubscriptionWatch(Options options) : options_(options) {}

  // A remote participant's audio tracks as its latest info lists them (tracks no longer listed
  // are forgotten).
  void published(const std::string& participant_sid, const std::vector<std::string>& audio_track_sids,
                 Clock::time_point now);
  void participant_left(const std::string& participant_sid);
  // The audio tracks in the latest subscriber offer: those are subscribed, the rest are not.
  void offered(const std::set<std::string>& track_sids, Clock::time_point now);
  // The server said it could not subscribe us to this track: ask again now.
  void refused(const std::string& track_sid, Clock::time_point now);
  // A new session (full rejoin): nothing is known until the server says it again.
  void clear();

  // The asks to send now, in track order.
  std::vector<Ask> due(Clock::time_point now);
  // Published tracks not offered (for logs and tests).
  std::vector<std::string> missing() const;

 private:
  struct Watched {
    std::string participant_sid;
    bool offered = false;
    Clock::time_point next_ask;
    int attempts = 0;
    bool unsubscribed = false;  // the first half of a resubscribe went out
    std::chrono::milliseconds interval{0};
  };
  void start_waiting(Watched& w, Clock::time_point now);

  Options options_;
  std::map<std::string, Watched> tracks_;  // by track sid
  std::set<std::string> offered_;          // the latest offer's audio tracks
};

}  // namespace parley::livekit
