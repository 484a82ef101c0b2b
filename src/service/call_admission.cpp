#include "service/call_admission.h"

#include <fnmatch.h>

#include <future>

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
  static auto& f = metrics::registry().counter("parley_calls_refused_total",
                                               "calls not admitted, by reason (capacity, draining)", {"reason"});
  return f;
}
metrics::CounterFamily& ended_family() {
  static auto& f = metrics::registry().counter("parley_call_sessions_ended_total", "call sessions ended, by reason",
                                               {"reason"});
  return f;
}

}  // namespace

CallAdmission::CallAdmission(EventLoop& loop, std::shared_ptr<const Config> config,
                             std::shared_ptr<CallSessionFactory> factory, const Clock& clock)
    : loop_(loop), factory_(std::move(factory)), clock_(clock), config_(std::move(config)) {
  capacity_ = config_->calls.max_concurrent;
  active_gauge().set(0);
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

void CallAdmission::set_config(std::shared_ptr<const Config> config) {
  capacity_ = config->calls.max_concurrent;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, config = std::move(config)]() mutable {
    if (!alive.lock()) return;
    config_ = std::move(config);
    schedule_sweep();  // the sweep period follows calls.inactivity_timeout
  });
}

void CallAdmission::begin_drain(Millis timeout, std::function<void()> on_done) {
  draining_ = true;
  std::weak_ptr<bool> alive = alive_;
  loop_.post([this, alive, timeout, on_done = std::move(on_done)]() mutable {
    if (!alive.lock()) return;
    on_drained_ = std::move(on_done);
    log::root().info("draining: no new calls; waiting for running calls to end",
                     {{"active_calls", active_.load()}, {"drain_timeout_ms", timeout.count()}});
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
  const std::string& room = ev.room_name();
  auto it = calls_.find(room);
  // Lines outside a call's logger mask what may carry a number themselves.
  auto shown = [&](const std::string& text) {
    return config_->calls.mask_numbers ? mask_phone_numbers(text) : text;
  };
  if (p.identity == config_->agent.identity) {
    if (it != calls_.end()) {
      it->second.record.agent_participant_id = p.sid;
      it->second.session->on_agent_joined(p.sid);
    }
    return;
  }
  if (!needs_agent(ev, *config_)) {
    if (it != calls_.end()) it->second.session->on_event(ev);
    log::root().debug("participant needs no agent", {{"room", shown(room)}, {"participant", shown(p.identity)},
                                                      {"kind", std::string(livekit::webhook::to_string(p.kind))}});
    return;
  }
  if (it != calls_.end()) {
    // Exactly one session per room: a second caller (or a repeated join) joins the same call.
    it->second.logger.debug("room already has a call session", {{"participant", p.identity}});
    it->second.session->on_event(ev);
    return;
  }
  const std::string room_key = ev.room->sid.empty() ? room : ev.room->sid;
  if (finished_rooms_.contains(room_key)) {
    log::root().info("late participant_joined for a room that already finished: ignored",
                     {{"room", shown(room)}, {"participant", shown(p.identity)}, {"event_id", ev.id}});
    return;
  }
  if (departed_.contains(departure_key(ev))) {
    log::root().info("late participant_joined for a participant that already left: ignored",
                     {{"room", shown(room)}, {"participant", shown(p.identity)}, {"event_id", ev.id}});
    return;
  }
  if (draining_) {
    refuse(ev, "draining", "parley is shutting down");
    return;
  }
  int max = config_->calls.max_concurrent;
  if (static_cast<int>(calls_.size()) >= max) {
    refuse(ev, "capacity", "calls.max_concurrent (" + std::to_string(max) + ") calls are running");
    return;
  }
  admit(ev);
}

void CallAdmission::admit(const WebhookEvent& ev) {
  const std::string& room = ev.room_name();
  Call call;
  call.record = make_call_record(ev, clock_.wall());
  call.config = config_;
  call.logger = call_logger(call.record, config_->calls.mask_numbers);
  call.last_activity = clock_.now();
  CallContext ctx;
  ctx.record = call.record;
  ctx.config = config_;
  ctx.logger = call.logger;
  ctx.loop = &loop_;
  std::weak_ptr<bool> alive = alive_;
  ctx.end = [this, alive, call_id = call.record.call_id](std::string why) {
    loop_.post([this, alive, call_id, why = std::move(why)] {
      if (alive.lock() && !shut_down_) end_call_by_id(call_id, why);
    });
  };
  call.session = factory_->create(std::move(ctx));
  if (!call.session) {
    refuse(ev, "session_failed", "the call session could not be created");
    return;
  }
  // The numbers are the logger's own fields (masked there under calls.mask_numbers).
  call.logger.info("call admitted", {{"caller", call.record.caller_identity},
                                     {"phone_call", call.record.phone_call},
                                     {"direction", call.record.direction},
                                     {"sip_call_id", call.record.sip_call_id},
                                     {"active_calls", calls_.size() + 1}});
  auto& stored = calls_.emplace(room, std::move(call)).first->second;
  active_ = static_cast<int>(calls_.size());
  active_gauge().set(static_cast<double>(calls_.size()));
  ++started_;
  started_counter().inc();
  stored.session->start();
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
  auto it = calls_.find(room);
  if (it == calls_.end()) return;
  Call& call = it->second;
  if (p.identity == call.config->agent.identity) {
    call.logger.info("agent participant left the room", {{"agent_participant_id", p.sid}});
    call.record.agent_participant_id.clear();
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
  auto it = calls_.find(room);
  if (it == calls_.end()) return;
  // A room of the same name may have been created again: only end the call of this room.
  if (!ev.room->sid.empty() && !it->second.record.room_sid.empty() && ev.room->sid != it->second.record.room_sid) return;
  end_call(room, StopReason::kRoomFinished);
}

void CallAdmission::end_call(const std::string& room, StopReason reason) {
  auto it = calls_.find(room);
  if (it == calls_.end()) return;
  Call call = std::move(it->second);
  calls_.erase(it);
  active_ = static_cast<int>(calls_.size());
  active_gauge().set(static_cast<double>(calls_.size()));
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(clock_.wall() - call.record.start_time).count();
  call.logger.info("call ended", {{"reason", std::string(to_string(reason))}, {"duration_s", seconds}});
  ended_family().with({std::string(to_string(reason))}).inc();
  call.session->stop(reason);
  call.session.reset();
  check_drained();
}

void CallAdmission::end_call_by_id(const std::string& call_id, const std::string& why) {
  for (const auto& [room, call] : calls_) {
    if (call.record.call_id == call_id) {
      call.logger.info("call session ended itself", {{"why", why}});
      end_call(room, StopReason::kEnded);
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
}

void CallAdmission::check_drained() {
  if (!draining_ || !calls_.empty() || !on_drained_) return;
  drain_timer_.cancel();
  auto done = std::move(on_drained_);
  on_drained_ = nullptr;
  log::root().info("drained: no call is running");
  done();
}

}  // namespace parley::service
