#include "service/call_reconciler.h"

#include <algorithm>

#include "core/log.h"
#include "core/loop_watchdog.h"
#include "core/metrics.h"
#include "livekit/api/room_service_client.h"
#include "livekit/api/twirp_client.h"

namespace parley::service {
namespace {

metrics::CounterFamily& rounds_family() {
  static auto& f = metrics::registry().counter(
      "parley_reconcile_rounds_total", "reconciler rounds (listing the server's rooms), by result (ok, failed)",
      {"result"});
  return f;
}

constexpr Millis kMaxFailureWait{60'000};

}  // namespace

CallReconciler::CallReconciler(CallAdmission& admission, std::shared_ptr<const Config> config, ListServer list,
                               const Clock& clock)
    : admission_(admission), list_(std::move(list)), clock_(clock), config_(std::move(config)) {}

CallReconciler::~CallReconciler() { stop(); }

std::shared_ptr<const Config> CallReconciler::config() const {
  std::lock_guard l(mutex_);
  return config_;
}

void CallReconciler::start() {
  loop_.post([this] {
    // This loop runs the blocking server API client by design (see the header), off the calls'
    // loops: not a loop the watchdog should hold to never blocking.
    loop_watchdog::exempt_this_loop();
    started_ = true;
    schedule(Millis(0));
  });
}

void CallReconciler::stop() {
  if (stopped_.exchange(true)) return;
  loop_.post([this] { timer_.cancel(); });
  loop_.stop();  // joins the thread: a round in progress finishes first
}

void CallReconciler::set_config(std::shared_ptr<const Config> config) {
  Millis old_interval;
  {
    std::lock_guard l(mutex_);
    old_interval = config_->calls.reconcile_interval;
    config_ = std::move(config);
  }
  loop_.post([this, old_interval] {
    // Switched on, off, or a new pace: a round now, then at the new pace.
    if (started_ && this->config()->calls.reconcile_interval != old_interval) schedule(Millis(0));
  });
}

void CallReconciler::schedule(Millis delay) {
  if (stopped_) return;
  timer_.cancel();
  const uint64_t generation = ++generation_;
  if (config()->calls.reconcile_interval.count() == 0) return;  // webhooks only
  timer_ = loop_.post_after(delay, [this, generation] { round(generation); });
}

void CallReconciler::round(uint64_t generation) {
  if (stopped_ || generation != generation_) return;
  auto cfg = config();
  const Millis interval = cfg->calls.reconcile_interval;
  if (interval.count() == 0) return;
  const auto taken_at = clock_.now();
  auto snapshot = list_(*cfg);
  ++rounds_;
  if (!snapshot) {
    ++failed_rounds_;
    rounds_family().with({"failed"}).inc();
    ++consecutive_failures_;
    // Full jitter from the interval up to a minute: many instances retry spread out.
    Backoff backoff(BackoffPolicy{0, interval, std::max(interval, kMaxFailureWait)});
    Millis wait = std::max(interval, backoff.delay(consecutive_failures_));
    log::root().warn("reconciler: cannot list the server's rooms; webhooks still admit calls",
                     {{"error", snapshot.error().to_string()},
                      {"consecutive_failures", consecutive_failures_},
                      {"next_try_ms", wait.count()}});
    return schedule(wait);
  }
  rounds_family().with({"ok"}).inc();
  if (consecutive_failures_ > 0) {
    log::root().info("reconciler: the server's rooms are listed again", {{"after_failures", consecutive_failures_}});
  }
  consecutive_failures_ = 0;
  snapshot->taken_at = taken_at;
  log::root().trace("reconciler: rooms listed", {{"rooms", snapshot->rooms.size()}});
  for (const auto& r : snapshot->rooms) {
    log::root().trace("reconciler: room",
                      {{"room", r.room.name}, {"participants", r.participants.size()}, {"listed", r.listed}});
  }
  admission_.reconcile(std::move(*snapshot));
  schedule(interval);
}

namespace {

class ApiServerLister {
 public:
  Result<ServerSnapshot> operator()(const Config& config) {
    const auto& lk = config.livekit;
    if (!client_ || lk.url != url_ || lk.api_key != key_ || lk.api_secret != secret_) {
      auto options = livekit::ApiOptions::from_config(lk);
      options.request_timeout = std::min<std::chrono::milliseconds>(options.request_timeout, std::chrono::seconds(5));
      options.retry_attempts = 1;
      auto client = livekit::TwirpClient::create(options);
      if (!client) return tl::unexpected(client.error());
      client_ = std::move(*client);
      url_ = lk.url, key_ = lk.api_key, secret_ = lk.api_secret;
    }
    livekit::RoomServiceClient rooms(*client_);
    auto list = rooms.list_rooms();
    if (!list) return tl::unexpected(list.error());
    ServerSnapshot snapshot;
    for (const auto& room : *list) {
      // The webhook event's readers: a caller looks the same whichever way it was seen.
      auto info = livekit::webhook::parse_room_info(room.raw);
      if (!info) {
        log::root().warn("reconciler: cannot read a room from the server API; skipped",
                         {{"room", room.name}, {"error", info.error().to_string()}});
        continue;
      }
      RoomSnapshot r;
      r.room = std::move(*info);
      auto participants = rooms.list_participants(room.name);
      if (!participants) {
        // A room that finished between the two requests is gone: nobody is in it.
        r.listed = participants.error().code == ErrorCode::kNotFound;
        if (!r.listed) {
          log::root().debug("reconciler: cannot list a room's participants",
                            {{"room", room.name}, {"error", participants.error().to_string()}});
        }
      } else {
        for (const auto& p : *participants) {
          auto participant = livekit::webhook::parse_participant_info(p.raw);
          if (participant) {
            r.participants.push_back(std::move(*participant));
          } else {
            // Unread, it would look absent: no conclusion about who left this room.
            r.listed = false;
            log::root().warn("reconciler: cannot read a participant from the server API; skipped",
                             {{"room", room.name}, {"participant", p.identity},
                              {"error", participant.error().to_string()}});
          }
        }
      }
      snapshot.rooms.push_back(std::move(r));
    }
    return snapshot;
  }

 private:
  std::shared_ptr<livekit::TwirpClient> client_;
  std::string url_, key_, secret_;
};

}  // namespace

CallReconciler::ListServer api_server_lister() {
  auto lister = std::make_shared<ApiServerLister>();
  return [lister](const Config& config) { return (*lister)(config); };
}

}  // namespace parley::service
