#include "service/call_admission.h"

#include <fnmatch.h>

#include <algorithm>
#include <future>
#include <unordered_map>

#include "core/loop_watchdog.h"
#include "core/metrics.h"

namespace parley::service {
namespace {

using livekit::webhook::ParticipantKind;
using livekit::webhook::WebhookEvent;
using livekit::webhook::WebhookEventType;

metrics::Gauge& active_gauge() {
  static auto& g = metrics::registry().gauge("parley_calls_active", "call sessions running now").get();
  return g;
}
metrics::Counter& started_counter() {
  static auto& c = metrics::registry().counter("parley_call_sessions_started_total", "call sessions started").get();
  return c;
}
metrics::CounterFamily& refused_family() {
  // At capacity or while draining a call is queued (parley_calls_queued), not refused.
  static auto& f = metrics::registry().counter(
      "parley_calls_refused_total", "calls not admitted, by reason (session_failed: no session could be made)",
      {"reason"});
  return f;
}
metrics::Gauge& queued_gauge() {
  static auto& g =
      metrics::registry()
          .gauge("parley_calls_queued", "calls waiting for a free slot (or for an instance not draining)")
          .get();
  return g;
}
metrics::CounterFamily& queued_family() {
  static auto& f = metrics::registry().counter(
      "parley_calls_queued_total", "calls that had to wait, by reason (capacity, draining)", {"reason"});
  return f;
}
metrics::CounterFamily& abandoned_family() {
  static auto& f = metrics::registry().counter(
      "parley_calls_abandoned_total",
      "queued calls given up before an agent answered, by reason (caller_left, room_finished, inactive)",
      {"reason"});
  return f;
}
metrics::Counter& adopted_counter() {
  static auto& c = metrics::registry()
                       .counter("parley_calls_adopted_total",
                                "calls the reconciler found without an agent and admitted (a webhook lost, or parley "
                                "was down when the caller joined)")
                       .get();
  return c;
}
metrics::Counter& retried_counter() {
  static auto& c = metrics::registry()
                       .counter("parley_calls_unanswered_retries_total",
                                "calls whose agent gave up before answering (join failed, no caller audio) and that "
                                "are offered again while the caller is still there")
                       .get();
  return c;
}
metrics::CounterFamily& ended_family() {
  static auto& f = metrics::registry().counter("parley_call_sessions_ended_total", "call sessions ended, by reason",
                                               {"reason"});
  return f;
}

std::string source_name(int source) {
  static constexpr std::string_view names[] = {"webhook", "reconciler", "queue", "job"};
  return std::string(names[source]);
}

}  // namespace

CallAdmission::CallAdmission(EventLoop& loop, std::shared_ptr<const Config> config,
                             std::shared_ptr<CallSessionFactory> factory, const Clock& clock)
    : loop_(loop), factory_(std::move(factory)), clock_(clock), config_(std::move(config)) {
  capacity_ = config_->calls.max_concurrent;
  started_unix_ = std::chrono::duration_cast<std::chrono::seconds>(clock_.wall().time_since_epoch()).count();
  active_gauge().set(0);
  queued_gauge().set(0);
  // Counters exported at zero from the start: an alert's increase() then counts the first call,
  // the first queued call and the first one abandoned (a series that first appears at 1 shows no
  // increase).
  started_counter();
  adopted_counter();
  retried_counter();
  refused_family().with({"session_failed"});
  for (const char* reason : {"capacity", "draining"}) queued_family().with({reason});
  for (const char* reason : {"caller_left", "room_finished", "inactive"}) abandoned_family().with({reason});
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive] {
    if (alive.lock()) schedule_sweep();
  });
}

CallAdmission::~CallAdmission() { shutdown(); }

void CallAdmission::submit(WebhookEvent event) {
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, ev = std::move(event)] {
    if (alive.lock() && !shut_down_) handle(ev);
  });
}

void CallAdmission::after_queued(std::function<void()> fn) {
  loop_.post(std::move(fn));
}

void CallAdmission::reconcile(ServerSnapshot snapshot) {
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, snapshot = std::move(snapshot)] {
    if (alive.lock() && !shut_down_) apply_snapshot(snapshot);
  });
}

void CallAdmission::set_config(std::shared_ptr<const Config> config) {
  capacity_ = config->calls.max_concurrent;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, config = std::move(config)]() mutable {
    if (!alive.lock()) return;
    config_ = std::move(config);
    schedule_sweep();  // the sweep period follows calls.inactivity_timeout
    admit_queued();    // calls.max_concurrent may have grown
  });
}

void CallAdmission::begin_drain(Millis timeout, std::function<void()> on_done) {
  draining_ = true;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, timeout, on_done = std::move(on_done)]() mutable {
    if (!alive.lock()) return;
    on_drained_ = std::move(on_done);
    log::root().info("draining: no new calls (queued calls are left for another instance); waiting for running "
                     "calls to end",
                     {{"active_calls", active_.load()},
                      {"queued_calls", queue_.size()},
                      {"drain_timeout_ms", timeout.count()}});
    drain_timer_ = loop_.post_after(timeout, [this] {
      if (calls_.empty()) return;
      log::root().warn("drain timeout: stopping the calls still running", {{"active_calls", active_.load()}});
      std::vector<std::string> rooms;
      for (const auto& [room, call] : calls_) rooms.push_back(room);
      for (const auto& room : rooms) end_call(room, StopReason::kDrainTimeout);
    });
    check_drained();
  });
}

void CallAdmission::shutdown() {
  if (shutdown_done_) return;
  auto work = [this] {
    if (shut_down_) return;
    shut_down_ = true;
    sweep_timer_.cancel();
    drain_timer_.cancel();
    std::vector<std::string> rooms;
    for (const auto& [room, call] : calls_) rooms.push_back(room);
    for (const auto& room : rooms) end_call(room, StopReason::kShutdown);
    if (!queue_.empty()) {
      // Not abandoned: their callers are still there, for another instance or the next start.
      log::root().info("queued calls left unanswered for another instance", {{"queued_calls", queue_.size()}});
      queue_.clear();
      queued_ = 0;
      queued_gauge().set(0);
    }
    on_drained_ = nullptr;
  };
  if (loop_.is_current()) {
    work();
  } else {
    std::promise<void> done;
    auto fut = done.get_future();
    loop_.post([&] {
      work();
      done.set_value();
    });
    loop_watchdog::blocking_call("CallAdmission::shutdown waits for admission's loop");
    fut.wait();
  }
  *alive_ = false;
  shutdown_done_ = true;
}

void CallAdmission::handle(const WebhookEvent& ev) {
  const std::string& room = ev.room_name();
  if (auto it = calls_.find(room); it != calls_.end()) it->second.last_activity = clock_.now();
  switch (ev.type) {
    case WebhookEventType::kParticipantJoined:
      on_participant_joined(ev);
      break;
    case WebhookEventType::kParticipantLeft:
    case WebhookEventType::kParticipantConnectionAborted:
      on_participant_left(ev);
      break;
    case WebhookEventType::kRoomFinished:
      on_room_finished(ev);
      break;
    case WebhookEventType::kRoomStarted:
    case WebhookEventType::kTrackPublished:
    case WebhookEventType::kTrackUnpublished:
      if (auto it = calls_.find(room); it != calls_.end()) it->second.session->on_event(ev);
      break;
    case WebhookEventType::kOther:
      break;
  }
}

bool CallAdmission::needs_agent(const WebhookEvent& ev, const Config& config) const {
  const auto& p = *ev.participant;
  if (p.identity == config.agent.identity) return false;  // our own agent joining
  if (p.kind == ParticipantKind::kAgent || p.kind == ParticipantKind::kEgress) return false;
  if (p.kind == ParticipantKind::kSip || p.attributes.count("sip.callID")) return true;
  for (const auto& pattern : config.calls.room_patterns) {
    if (fnmatch(pattern.c_str(), ev.room_name().c_str(), 0) == 0) return true;
  }
  return false;
}

std::string CallAdmission::departure_key(const WebhookEvent& ev) {
  // sid is unique per connection; identity may rejoin later with a new sid and a new call.
  const auto& p = *ev.participant;
  return p.sid.empty() ? ev.room_name() + "\n" + p.identity : p.sid;
}

void CallAdmission::on_participant_joined(const WebhookEvent& ev) {
  const auto& p = *ev.participant;
  auto it = calls_.find(ev.room_name());
  if (p.identity == config_->agent.identity) {
    if (it != calls_.end()) {
      it->second.record.agent_participant_id = p.sid;
      it->second.session->on_agent_joined(p.sid);
    }
    return;
  }
  if (it != calls_.end()) {
    // A job's call learns who its caller is from the webhook (the job names only the room).
    if (!it->second.job_id.empty() && it->second.record.caller_identity.empty() && needs_agent(ev, *config_)) {
      auto joined = make_call_record(ev, it->second.record.start_time);
      joined.call_id = it->second.record.call_id;
      joined.agent_participant_id = it->second.record.agent_participant_id;
      it->second.record = std::move(joined);
    }
    // Exactly one session per room: a second caller (or a repeated join) joins the same call;
    // the session sees every participant.
    if (needs_agent(ev, *config_)) {
      it->second.logger.debug("room already has a call session", {{"participant", p.identity}});
    }
    it->second.session->on_event(ev);
    return;
  }
  offer(ev, Source::kWebhook);
}

void CallAdmission::offer(const WebhookEvent& ev, Source source) {
  const auto& p = *ev.participant;
  const std::string& room = ev.room_name();
  const bool webhook = source == Source::kWebhook;
  // Lines outside a call's logger mask what may carry a number themselves.
  auto shown = [&](const std::string& text) {
    return config_->calls.mask_numbers ? mask_phone_numbers(text) : text;
  };
  // The reconciler sees the same rooms every few seconds: what it finds again is logged at debug.
  auto note = [&](const std::string& msg) {
    log::Fields fields{{"room", shown(room)}, {"participant", shown(p.identity)}, {"source", source_name(int(source))}};
    if (webhook) fields.emplace_back("event_id", ev.id);
    if (webhook) log::root().info(msg, std::move(fields));
    else log::root().debug(msg, std::move(fields));
  };
  if (!needs_agent(ev, *config_)) {
    if (webhook) {
      log::root().debug("participant needs no agent", {{"room", shown(room)}, {"participant", shown(p.identity)},
                                                        {"kind", std::string(livekit::webhook::to_string(p.kind))}});
    }
    return;
  }
  if (config_->agent.dispatch == "worker") {
    // LiveKit dispatches the call to one worker (admit_job); webhooks and the reconciler only
    // feed the running calls' events.
    if (webhook) log::root().debug("agent.dispatch is worker: the call's job brings the agent", {{"room", shown(room)}});
    return;
  }
  if (calls_.count(room) || queue_.find(room)) return;  // the room's call runs or waits already
  const std::string room_key = ev.room->sid.empty() ? room : ev.room->sid;
  if (finished_rooms_.contains(room_key)) {
    note("late participant_joined for a room that already finished: ignored");
    return;
  }
  if (departed_.contains(departure_key(ev))) {
    note("late participant_joined for a participant that already left: ignored");
    return;
  }
  if (ended_callers_.contains(departure_key(ev))) {
    // Its call ended here (the agent hung up, the session failed): not started again for the
    // same connection, or a hang-up in flight would be answered by a new agent.
    note("participant_joined for a caller whose call already ended here: ignored");
    return;
  }
  if (draining_) return enqueue(ev, "draining", "parley is draining: the call waits for another instance");
  int max = config_->calls.max_concurrent;
  if (static_cast<int>(calls_.size()) >= max || !queue_.empty()) {
    return enqueue(ev, "capacity",
                   "calls.max_concurrent (" + std::to_string(max) + ") calls are running: the call waits for a slot");
  }
  admit(ev, source);
}

void CallAdmission::apply_snapshot(const ServerSnapshot& snapshot) {
  // Queued callers the server no longer shows have hung up (a webhook saying so may be lost).
  // Only calls queued before the listing began are judged by it.
  std::unordered_map<std::string, const RoomSnapshot*> rooms;
  for (const auto& r : snapshot.rooms) rooms[r.room.name] = &r;
  for (const auto& room : queue_.rooms()) {
    const auto* entry = queue_.find(room);
    if (entry->queued_at >= snapshot.taken_at) continue;
    auto it = rooms.find(room);
    if (it == rooms.end()) {
      abandon(room, "caller_left", "the room is gone from the server");
      continue;
    }
    if (!it->second->listed) continue;
    const auto& caller = *entry->joined.participant;
    bool present = std::any_of(it->second->participants.begin(), it->second->participants.end(), [&](const auto& p) {
      return p.identity == caller.identity && (caller.sid.empty() || p.sid == caller.sid);
    });
    if (!present) abandon(room, "caller_left", "the caller is no longer in the room");
  }
  // Every participant without an agent, oldest first, so the queue keeps arrival order.
  std::vector<WebhookEvent> sightings;
  for (const auto& r : snapshot.rooms) {
    if (!r.listed || calls_.count(r.room.name) || queue_.find(r.room.name)) continue;
    if (another_instance_serves(r)) continue;
    for (const auto& p : r.participants) {
      if (p.state == livekit::webhook::ParticipantState::kDisconnected) continue;
      WebhookEvent ev;
      ev.event = "reconciler";
      ev.type = livekit::webhook::WebhookEventType::kParticipantJoined;
      ev.room = r.room;
      ev.participant = p;
      sightings.push_back(std::move(ev));
    }
  }
  std::stable_sort(sightings.begin(), sightings.end(), [](const WebhookEvent& a, const WebhookEvent& b) {
    return a.participant->joined_at < b.participant->joined_at;
  });
  for (const auto& ev : sightings) offer(ev, Source::kReconciler);
}

// orphans_of_earlier_runs_are_adopted (see call_admission.h): an agent.identity participant in a
// room without a call here belongs to another live instance only when it joined after this
// instance started; one that joined earlier is an orphan, and its caller is adopted.
bool CallAdmission::another_instance_serves(const RoomSnapshot& r) const {
  for (const auto& p : r.participants) {
    if (p.identity != config_->agent.identity || p.state == livekit::webhook::ParticipantState::kDisconnected) continue;
    if (p.joined_at > started_unix_) {
      log::root().debug("another instance's agent serves the room: left alone",
                        {{"room", config_->calls.mask_numbers ? mask_phone_numbers(r.room.name) : r.room.name},
                         {"agent_participant_id", p.sid}, {"agent_joined_at", p.joined_at}});
      return true;
    }
  }
  return false;
}

// The queue's length for accessors (any thread) and the gauge, after every change.
void CallAdmission::queue_changed() {
  queued_ = static_cast<int>(queue_.size());
  queued_gauge().set(static_cast<double>(queue_.size()));
}

void CallAdmission::enqueue(const WebhookEvent& ev, const std::string& reason, const std::string& why) {
  if (!queue_.push(ev, clock_.now())) return;
  queued_family().with({reason}).inc();
  queue_changed();
  auto record = make_call_record(ev, clock_.wall());
  call_logger(record, config_->calls.mask_numbers)
      .info("call queued: " + why, {{"caller", record.caller_identity}, {"queued_calls", queue_.size()},
                                    {"active_calls", calls_.size()}, {"draining", draining_.load()}});
}

void CallAdmission::abandon(const std::string& room, const std::string& reason, const std::string& detail) {
  const auto* entry = queue_.find(room);
  if (!entry) return;
  auto record = make_call_record(entry->joined, clock_.wall());
  auto waited = std::chrono::duration_cast<Millis>(clock_.now() - entry->queued_at);
  queue_.erase(room);
  queue_changed();
  call_logger(record, config_->calls.mask_numbers)
      .info("queued call abandoned: " + detail,
            {{"reason", reason}, {"caller", record.caller_identity}, {"waited_ms", waited.count()}});
  abandoned_family().with({reason}).inc();
}

void CallAdmission::admit_queued() {
  while (!draining_ && !shut_down_ && !queue_.empty() &&
         static_cast<int>(calls_.size()) < config_->calls.max_concurrent) {
    auto entry = queue_.pop();
    queue_changed();
    admit(entry->joined, Source::kQueue, std::chrono::duration_cast<Millis>(clock_.now() - entry->queued_at));
  }
}

void CallAdmission::admit(const WebhookEvent& ev, Source source, Millis waited) {
  Call call;
  call.record = make_call_record(ev, clock_.wall());
  if (!start_call(ev.room_name(), std::move(call), "", "", source, waited)) {
    refuse(ev, "session_failed", "the call session could not be created");
  }
}

bool CallAdmission::start_call(const std::string& room, Call call, std::string join_token, std::string join_url,
                               Source source, Millis waited, std::shared_ptr<const agent::CallContinuity> continuity) {
  call.config = config_;
  call.logger = call_logger(call.record, config_->calls.mask_numbers);
  call.last_activity = clock_.now();
  CallContext ctx;
  ctx.record = call.record;
  ctx.config = config_;
  ctx.logger = call.logger;
  ctx.loop = &loop_;
  ctx.join_token = std::move(join_token);
  ctx.join_url = std::move(join_url);
  ctx.continuity = std::move(continuity);
  std::weak_ptr<bool> alive = alive_;
  ctx.end = [this, alive, call_id = call.record.call_id](std::string why) {
    loop_.post([this, alive, call_id, why = std::move(why)] {
      if (alive.lock() && !shut_down_) end_call_by_id(call_id, why);
    });
  };
  call.session = factory_->create(std::move(ctx));
  if (!call.session) return false;
  // The numbers are the logger's own fields (masked there under calls.mask_numbers).
  call.logger.info("call admitted", {{"caller", call.record.caller_identity},
                                     {"phone_call", call.record.phone_call},
                                     {"direction", call.record.direction},
                                     {"sip_call_id", call.record.sip_call_id},
                                     {"job_id", call.job_id},
                                     {"active_calls", calls_.size() + 1},
                                     {"source", source_name(int(source))},
                                     {"queued_ms", waited.count()}});
  if (source == Source::kReconciler) adopted_counter().inc();
  auto& stored = calls_.emplace(room, std::move(call)).first->second;
  active_ = static_cast<int>(calls_.size());
  active_gauge().set(static_cast<double>(calls_.size()));
  ++started_;
  started_counter().inc();
  stored.session->start();
  return true;
}

void CallAdmission::admit_job(JobCall job) {
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, job = std::move(job)]() mutable {
    if (!alive.lock() || shut_down_) {
      if (job.on_end) job.on_end("parley is shutting down");
      return;
    }
    on_job(std::move(job));
  });
}

void CallAdmission::on_job(JobCall job) {
  auto refused = [&](const std::string& reason, const std::string& detail) {
    log::Logger::for_call("job-" + job.job_id, job.room)
        .warn("job refused: " + detail, {{"reason", reason}, {"job_id", job.job_id}});
    refused_family().with({reason}).inc();
    if (job.on_end) job.on_end(detail);
  };
  if (calls_.count(job.room)) return refused("duplicate", "the room already has a call session");
  if (draining_) return refused("draining", "parley is shutting down");
  int max = config_->calls.max_concurrent;
  if (static_cast<int>(calls_.size()) >= max) {
    return refused("capacity", "calls.max_concurrent (" + std::to_string(max) + ") calls are running");
  }
  Call call;
  call.record.call_id = "job-" + job.job_id;
  call.record.room = job.room;
  call.record.room_sid = job.room_sid;
  call.record.start_time = clock_.wall();
  call.job_id = job.job_id;
  call.on_end = std::move(job.on_end);
  auto on_end = call.on_end;
  if (!start_call(job.room, std::move(call), std::move(job.token), std::move(job.url), Source::kJob, Millis(0),
                  std::move(job.continuity))) {
    refused_family().with({"session_failed"}).inc();
    if (on_end) on_end("the call session could not be created");
    return;
  }
  if (job.on_running) job.on_running();
}

void CallAdmission::end_job(const std::string& job_id) {
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, job_id] {
    if (!alive.lock() || shut_down_) return;
    for (const auto& [room, call] : calls_) {
      if (call.job_id != job_id) continue;
      call.logger.info("the server ended the call's job");
      end_call(room, StopReason::kEnded);
      return;
    }
  });
}

void CallAdmission::refuse(const WebhookEvent& ev, const std::string& reason, const std::string& detail) {
  auto record = make_call_record(ev, clock_.wall());
  call_logger(record, config_->calls.mask_numbers)
      .warn("call refused: " + detail, {{"reason", reason}, {"caller", record.caller_identity}});
  refused_family().with({reason}).inc();
}

void CallAdmission::on_participant_left(const WebhookEvent& ev) {
  const auto& p = *ev.participant;
  const std::string& room = ev.room_name();
  if (p.identity != config_->agent.identity) departed_.insert(departure_key(ev));
  if (const auto* queued = queue_.find(room)) {
    const auto& caller = *queued->joined.participant;
    if (p.identity == caller.identity && (p.sid.empty() || caller.sid.empty() || p.sid == caller.sid)) {
      abandon(room, "caller_left", "the caller hung up while waiting");
    }
  }
  auto it = calls_.find(room);
  if (it == calls_.end()) return;
  Call& call = it->second;
  if (p.identity == call.config->agent.identity) {
    call.logger.info("agent participant left the room", {{"agent_participant_id", p.sid}});
    // An earlier run's agent replaced by ours (same identity) leaves after ours joined.
    if (p.sid.empty() || p.sid == call.record.agent_participant_id) call.record.agent_participant_id.clear();
    call.session->on_event(ev);
    return;
  }
  bool caller = p.identity == call.record.caller_identity &&
                (p.sid.empty() || call.record.caller_sid.empty() || p.sid == call.record.caller_sid);
  if (!caller) {
    call.session->on_event(ev);
    return;
  }
  end_call(room, StopReason::kCallerLeft);
}

void CallAdmission::on_room_finished(const WebhookEvent& ev) {
  const std::string& room = ev.room_name();
  finished_rooms_.insert(ev.room->sid.empty() ? room : ev.room->sid);
  if (const auto* queued = queue_.find(room)) {
    const auto& sid = queued->joined.room->sid;
    if (ev.room->sid.empty() || sid.empty() || sid == ev.room->sid) {
      abandon(room, "room_finished", "the room finished while the call waited");
    }
  }
  auto it = calls_.find(room);
  if (it == calls_.end()) return;
  // A room of the same name may have been created again: only end the call of this room.
  if (!ev.room->sid.empty() && !it->second.record.room_sid.empty() && ev.room->sid != it->second.record.room_sid) return;
  end_call(room, StopReason::kRoomFinished);
}

void CallAdmission::end_call(const std::string& room, StopReason reason, bool unanswered) {
  auto it = calls_.find(room);
  if (it == calls_.end()) return;
  Call call = std::move(it->second);
  calls_.erase(it);
  const std::string caller_key =
      call.record.caller_sid.empty() ? call.record.room + "\n" + call.record.caller_identity : call.record.caller_sid;
  if (!(unanswered && !draining_ && offer_again(caller_key, call.logger))) ended_callers_.insert(caller_key);
  active_ = static_cast<int>(calls_.size());
  active_gauge().set(static_cast<double>(calls_.size()));
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(clock_.wall() - call.record.start_time).count();
  call.logger.info("call ended", {{"reason", std::string(to_string(reason))}, {"duration_s", seconds}});
  ended_family().with({std::string(to_string(reason))}).inc();
  call.session->stop(reason);
  call.session.reset();
  if (call.on_end) {
    bool failed = reason == StopReason::kDrainTimeout || reason == StopReason::kShutdown;
    call.on_end(failed ? std::string(to_string(reason)) : "");
  }
  admit_queued();
  check_drained();
}

// Nobody spoke to the caller yet: a fresh agent may still answer (a server back from a restart,
// a track offered this time), and the reconciler finds the caller without an agent. False once
// the caller's retries are spent.
bool CallAdmission::offer_again(const std::string& caller_key, const log::Logger& logger) {
  int retries = 0;
  while (retries < kUnansweredRetries && retried_callers_.contains(caller_key + "#" + std::to_string(retries + 1))) {
    ++retries;
  }
  if (retries == kUnansweredRetries) return false;
  retried_callers_.insert(caller_key + "#" + std::to_string(retries + 1));
  retried_counter().inc();
  logger.warn("the call ended before the caller was answered: it is offered again if the caller is still there",
              {{"retry", retries + 1}, {"of", kUnansweredRetries}});
  return true;
}

void CallAdmission::end_call_by_id(const std::string& call_id, const std::string& why) {
  for (const auto& [room, call] : calls_) {
    if (call.record.call_id == call_id) {
      call.logger.info("call session ended itself", {{"why", why}});
      // CallAgent's reasons for ending before it spoke to the caller.
      end_call(room, StopReason::kEnded, why == "join_failed" || why == "no_caller");
      return;
    }
  }
}

void CallAdmission::schedule_sweep() {
  if (shut_down_) return;
  auto period = std::clamp<Millis>(config_->calls.inactivity_timeout / 4, Millis(50), Millis(30'000));
  std::weak_ptr<bool> alive = alive_;
  sweep_timer_ = loop_.post_after(period, [this, alive] {
    if (!alive.lock()) return;
    sweep();
    schedule_sweep();
  });
}

void CallAdmission::sweep() {
  auto now = clock_.now();
  std::vector<std::string> idle;
  for (const auto& [room, call] : calls_) {
    if (now - call.last_activity >= call.config->calls.inactivity_timeout) idle.push_back(room);
  }
  for (const auto& room : idle) end_call(room, StopReason::kInactive);
  // A queued call nobody said anything about for as long (no reconciler, webhooks lost).
  for (const auto& room : queue_.rooms()) {
    if (now - queue_.find(room)->queued_at >= config_->calls.inactivity_timeout) {
      abandon(room, "inactive", "no word of the caller within calls.inactivity_timeout");
    }
  }
}

void CallAdmission::check_drained() {
  if (!draining_ || !calls_.empty() || !on_drained_) return;
  drain_timer_.cancel();
  auto done = std::move(on_drained_);
  on_drained_ = nullptr;
  log::root().info("drained: no call is running", {{"queued_calls_left_for_another_instance", queue_.size()}});
  done();
}

}  // namespace parley::service
