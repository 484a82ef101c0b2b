#include "service/call_recovery.h"

#include <algorithm>

#include "agent/call_continuity.h"
#include "core/log.h"
#include "core/loop_watchdog.h"
#include "core/metrics.h"
#include "core/url.h"
#include "livekit/api/agent_dispatch_client.h"
#include "livekit/api/http_client.h"
#include "livekit/api/room_service_client.h"

namespace parley::service {
namespace {

using nlohmann::json;

metrics::CounterFamily& rounds_family() {
  static auto& f = metrics::registry().counter(
      "parley_recovery_rounds_total", "worker mode: rounds looking for calls whose worker died, by result (ok, failed)",
      {"result"});
  return f;
}
metrics::CounterFamily& recovered_family() {
  static auto& f = metrics::registry().counter(
      "parley_calls_recovered_total",
      "worker mode: calls whose worker died, by what this process did (dispatched: it asked for a new agent; "
      "taken: it runs the new agent; yielded: an earlier recovery dispatch runs it)",
      {"action"});
  return f;
}

// A loss dealt with is looked at again after this long (a recovery job that found no worker).
constexpr auto kRetryAfter = std::chrono::seconds(10);
// Recovery dispatches for one loss made this close together are one attempt (decide()).
constexpr int64_t kAttemptWindowNs = 5'000'000'000;

int64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A probe answers fast or the owner is in trouble: never longer than this.
constexpr Millis kProbeTimeout{500};
// A probe that timed out this many rounds in a row means the owner is gone (machine or network).
constexpr int kTimeoutsForDead = 2;

bool is_caller(const livekit::ParticipantInfo& p, const Config& config) {
  if (p.identity == config.agent.identity) return false;
  if (p.kind == "AGENT" || p.kind == "EGRESS" || p.kind == "INGRESS") return false;
  return p.state != "DISCONNECTED";
}

}  // namespace

std::string recovery_key(const std::string& dispatch_metadata) {
  if (dispatch_metadata.empty() || dispatch_metadata.front() != '{') return "";
  auto j = json::parse(dispatch_metadata, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains(kRecoverKey) || !j[kRecoverKey].is_string()) return "";
  return j[kRecoverKey].get<std::string>();
}

CallRecovery::CallRecovery(std::shared_ptr<const Config> config, std::string instance)
    : instance_(std::move(instance)), config_(std::move(config)) {
  for (const char* r : {"ok", "failed"}) rounds_family().with({r});
  for (const char* a : {"dispatched", "taken", "yielded"}) recovered_family().with({a});
}

CallRecovery::~CallRecovery() { stop(); }

std::shared_ptr<const Config> CallRecovery::config() const {
  std::lock_guard l(mutex_);
  return config_;
}

void CallRecovery::set_config(std::shared_ptr<const Config> config) {
  std::lock_guard l(mutex_);
  config_ = std::move(config);
}

void CallRecovery::start() {
  loop_.post([this] {
    // This loop runs the blocking server API client and /healthz probes by design (see the
    // header), off the calls' loops: not a loop the watchdog should hold to never blocking.
    loop_watchdog::exempt_this_loop();
    schedule(Millis(0));
  });
}

void CallRecovery::stop() {
  if (stopped_.exchange(true)) return;
  loop_.post([this] { timer_.cancel(); });
  loop_.stop();
}

void CallRecovery::schedule(Millis delay) {
  if (stopped_) return;
  timer_ = loop_.post_after(delay, [this] {
    round();
    auto interval = config()->agent.recovery_interval;
    schedule(interval.count() > 0 ? interval : Millis(5'000));  // 0: idle, but a reload may switch it on
  });
}

livekit::TwirpClient* CallRecovery::client() {
  const auto& lk = config()->livekit;
  if (!client_ || lk.url != client_url_ || lk.api_key != client_key_ || lk.api_secret != client_secret_) {
    auto options = livekit::ApiOptions::from_config(lk);
    options.request_timeout = std::min<std::chrono::milliseconds>(options.request_timeout, std::chrono::seconds(2));
    options.retry_attempts = 1;
    auto c = livekit::TwirpClient::create(options);
    if (!c) {
      log::root().warn("call recovery: cannot make an API client", {{"error", c.error().to_string()}});
      return nullptr;
    }
    client_ = std::move(*c);
    client_url_ = lk.url, client_key_ = lk.api_key, client_secret_ = lk.api_secret;
  }
  return client_.get();
}

bool CallRecovery::recently_handled(const std::string& key) const {
  auto it = handled_.find(key);
  return it != handled_.end() && std::chrono::steady_clock::now() - it->second < kRetryAfter;
}

void CallRecovery::round() {
  if (stopped_ || config()->agent.recovery_interval.count() == 0) return;
  auto* twirp = client();
  if (!twirp) return;
  auto rooms = livekit::RoomServiceClient(*twirp).list_rooms();
  ++rounds_;
  if (!rooms) {
    rounds_family().with({"failed"}).inc();
    log::root().warn("call recovery: cannot list the server's rooms", {{"error", rooms.error().to_string()}});
    return;
  }
  rounds_family().with({"ok"}).inc();
  for (auto it = handled_.begin(); it != handled_.end();) {
    it = std::chrono::steady_clock::now() - it->second > 6 * kRetryAfter ? handled_.erase(it) : std::next(it);
  }
  std::map<std::string, bool> seen;  // instance -> alive, this round
  for (const auto& room : *rooms) {
    auto metadata = agent::room_metadata_object(room.metadata);
    if (!metadata) continue;
    json owner = agent::owner_from_metadata(*metadata);
    if (!owner.is_object() || !owner.contains("instance") || !owner["instance"].is_string() ||
        !owner.contains("job") || !owner["job"].is_string()) {
      continue;
    }
    const std::string instance = owner["instance"].get<std::string>();
    const std::string job = owner["job"].get<std::string>();
    if (instance == instance_ || recently_handled(job)) continue;
    if (owner_alive(owner, seen)) continue;
    recover(room.name, job, instance);
  }
}

bool CallRecovery::owner_alive(const json& owner, std::map<std::string, bool>& seen) {
  const std::string instance = owner["instance"].get<std::string>();
  if (auto it = seen.find(instance); it != seen.end()) return it->second;
  std::string probe = owner.contains("probe") && owner["probe"].is_string() ? owner["probe"].get<std::string>() : "";
  auto url = parse_url(probe);
  if (!url) {
    // Nothing to ask: such a call cannot be watched (never treated as dead on a guess).
    seen[instance] = true;
    return true;
  }
  livekit::HttpClient http(*url, kProbeTimeout);
  livekit::HttpRequest req;
  std::string path = url->path.empty() || url->path == "/" ? "" : url->path;
  if (!path.empty() && path.back() == '/') path.pop_back();
  req.target = path + "/healthz";
  auto res = http.request(req);
  bool alive;
  std::string why;
  if (res) {
    timeouts_.erase(instance);
    alive = res->header("parley-instance") == instance;
    why = alive ? "" : "another process answers there (restarted)";
  } else if (res.error().code == ErrorCode::kTimeout) {
    int n = ++timeouts_[instance];
    alive = n < kTimeoutsForDead;
    why = "no answer within " + std::to_string(kProbeTimeout.count()) + " ms, " + std::to_string(n) + " rounds in a row";
  } else {
    timeouts_.erase(instance);
    alive = false;
    why = res.error().to_string();
  }
  if (!alive) {
    log::root().warn("call recovery: a worker is gone", {{"instance", instance}, {"probe", probe}, {"why", why}});
  }
  seen[instance] = alive;
  return alive;
}

void CallRecovery::recover(const std::string& room, const std::string& key, const std::string& dead_instance) {
  auto cfg = config();
  auto* twirp = client();
  if (!twirp) return;
  auto logger = log::Logger::for_call("recover-" + key, room);
  auto participants = livekit::RoomServiceClient(*twirp).list_participants(room);
  if (!participants) {
    if (participants.error().code == ErrorCode::kNotFound) handled(key);
    logger.debug("call recovery: cannot list the room's participants", {{"error", participants.error().to_string()}});
    return;
  }
  bool caller = std::any_of(participants->begin(), participants->end(),
                            [&](const auto& p) { return is_caller(p, *cfg); });
  if (!caller) {
    handled(key);
    logger.info("call recovery: the call is over (no caller left); nothing to do", {{"lost_job", key}});
    return;
  }
  livekit::AgentDispatchClient dispatches(*twirp);
  auto existing = dispatches.list_dispatch(room);
  if (existing) {
    for (const auto& d : *existing) {
      if (recovery_key(d.metadata) == key && unix_ns() - d.created_at < int64_t(kRetryAfter.count()) * 1'000'000'000) {
        handled(key);
        logger.info("call recovery: another worker re-dispatched the call already", {{"lost_job", key}, {"dispatch_id", d.id}});
        return;
      }
    }
  }
  remove_lost_agent(*twirp, room, key);
  json meta = {{kRecoverKey, key}};
  auto created = dispatches.create_dispatch(room, cfg->agent.agent_name, meta.dump());
  if (!created) {
    logger.warn("call recovery: cannot re-dispatch the call; trying again next round",
                {{"lost_job", key}, {"error", created.error().to_string()}});
    return;
  }
  handled(key);
  recovered_family().with({"dispatched"}).inc();
  logger.info("call recovery: its worker is gone; the call is re-dispatched",
              {{"lost_job", key}, {"lost_instance", dead_instance}, {"dispatch_id", created->id}});
}

// The dead agent's participant stays in the room for about 15 s (the server's ICE timeouts). The
// new agent would replace it anyway (same identity), but clients see a participant replaced by
// its own identity as a departure that may also drop the newcomer (the Python SDK does), so it
// is removed before the recovery dispatch exists: removed later, the server would take its
// departure for the new job's agent (same identity) and end that job (JobTermination).
void CallRecovery::remove_lost_agent(livekit::TwirpClient& twirp, const std::string& room, const std::string& key) {
  auto cfg = config();
  livekit::RoomServiceClient rooms(twirp);
  auto participants = rooms.list_participants(room);
  if (!participants) return;
  for (const auto& p : *participants) {
    if (p.identity != cfg->agent.identity) continue;
    auto removed = rooms.remove_participant(room, p.identity);
    log::Logger::for_call("recover-" + key, room)
        .info("call recovery: the lost agent's participant is removed",
              {{"participant_id", p.sid}, {"ok", bool(removed)},
               {"error", removed ? std::string() : removed.error().to_string()}});
  }
}

void CallRecovery::decide(const std::string& room, const std::string& dispatch_id, const std::string& key,
                          std::function<void(bool)> then) {
  loop_.post([this, room, dispatch_id, key, then = std::move(then)] {
    auto* twirp = client();
    bool take = true;
    std::string winner = dispatch_id;
    if (twirp) {
      auto list = livekit::AgentDispatchClient(*twirp).list_dispatch(room);
      if (list) {
        // This attempt: the recovery dispatches for this loss made up to 5 s before ours.
        int64_t mine = 0;
        for (const auto& d : *list) {
          if (d.id == dispatch_id) mine = d.created_at;
        }
        const livekit::AgentDispatch* first = nullptr;
        for (const auto& d : *list) {
          if (recovery_key(d.metadata) != key) continue;
          if (mine != 0 && d.created_at < mine - kAttemptWindowNs) continue;
          if (!first || d.created_at < first->created_at || (d.created_at == first->created_at && d.id < first->id)) {
            first = &d;
          }
        }
        if (first) winner = first->id;
        take = !first || first->id == dispatch_id;
      } else {
        // Unknown: serve the call (the server's one-identity rule still keeps one agent).
        log::Logger::for_call("recover-" + key, room)
            .warn("call recovery: cannot list the room's dispatches; taking the call", {{"error", list.error().to_string()}});
      }
    }
    handled(key);
    recovered_family().with({take ? "taken" : "yielded"}).inc();
    log::Logger::for_call("recover-" + key, room)
        .info(take ? "call recovery: this worker takes the call over"
                   : "call recovery: an earlier recovery dispatch takes the call over; this job ends",
              {{"lost_job", key}, {"dispatch_id", dispatch_id}, {"winner", winner}});
    then(take);
  });
}

}  // namespace parley::service
