#include "livekit/worker/agent_worker.h"

#include <algorithm>
#include <future>

#include "core/url.h"
#include "livekit/auth/access_token.h"
#include "livekit/proto/livekit_agent.pb.h"
#include "livekit/signal/ws_transport.h"

namespace parley::livekit {
namespace {

namespace pb = ::livekit;  // the generated protobuf classes

using SteadyClock = std::chrono::steady_clock;

// The server closes a worker that has not registered within 10 s (RegisterTimeout).
constexpr Millis kRegisterTimeout{10'000};

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ws(s)://host[:port]<prefix>/agent, whatever scheme livekit.url uses.
Result<Url> agent_url(const std::string& livekit_url) {
  auto url = parse_url(livekit_url);
  if (!url) return tl::unexpected(url.error());
  Url ws = url->as_websocket();
  std::string path = ws.path.substr(0, ws.path.find('?'));
  if (path.empty() || path.back() != '/') path += '/';
  ws.path = path + "agent";
  return ws;
}

}  // namespace

struct AgentWorker::Impl : std::enable_shared_from_this<Impl> {
  Impl(AsioLoop& l, AgentWorkerOptions opts, AgentWorkerHooks h)
      : loop(l), o(std::move(opts)), hooks(std::move(h)), backoff(o.reconnect) {}

  struct Slot {
    bool assigned = false;
    SteadyClock::time_point accepted;
    std::string room;
  };

  AsioLoop& loop;
  AgentWorkerOptions o;
  AgentWorkerHooks hooks;
  Backoff backoff;

  // Loop only.
  std::shared_ptr<WsTransport> ws;
  bool stopped = false;
  bool draining = false;
  bool is_registered = false;
  int reconnects = 0;  // failed tries since the last registration
  std::string worker_id;
  std::map<std::string, Slot> slots;  // by job id
  TimerHandle reconnect_timer, status_timer, ping_timer, register_timer;
  SteadyClock::time_point last_pong;
  int reported_status = -1;
  float reported_load = -1;

  // Any thread.
  std::atomic<bool> registered_now{false};
  std::atomic<int> job_count{0};

  template <class F>
  void on_loop(F fn) {
    std::weak_ptr<Impl> weak = weak_from_this();
    loop.post([weak, fn = std::move(fn)]() mutable {
      if (auto self = weak.lock(); self && !self->stopped) fn(*self);
    });
  }

  void connect() {
    if (stopped) return;
    auto url = agent_url(o.url);
    if (!url) {
      o.logger.error("agent worker: bad livekit.url", {{"error", url.error().to_string()}});
      return;
    }
    TokenClaims claims;
    VideoGrant grant;
    grant.agent = true;  // the /agent endpoint's only requirement
    claims.video = grant;
    auto token = mint_token(claims, o.api_key, o.api_secret, std::chrono::minutes(10));
    if (!token) {
      o.logger.error("agent worker: cannot mint its token", {{"error", token.error().to_string()}});
      return;
    }
    WsOptions wo;
    wo.bearer_token = *token;
    ws = WsTransport::create(loop, *url, wo);
    std::weak_ptr<Impl> weak = weak_from_this();
    auto conn = ws;
    ws->on_message([weak, conn](std::string&& frame, bool binary) {
      auto self = weak.lock();
      if (self && !self->stopped && self->ws == conn) self->on_frame(std::move(frame), binary);
    });
    ws->on_closed([weak, conn](Error e) {
      auto self = weak.lock();
      if (self && !self->stopped && self->ws == conn) self->lost("connection closed: " + e.to_string());
    });
    ws->open(*url, [weak, conn](Status s) {
      auto self = weak.lock();
      if (!self || self->stopped || self->ws != conn) return;
      if (!s) return self->lost("cannot connect: " + s.error().to_string());
      self->on_open();
    });
    // The whole handshake (connect, upgrade, RegisterWorkerResponse) within the server's own limit.
    register_timer = loop.post_after(kRegisterTimeout + o.ping_interval, [weak, conn] {
      auto self = weak.lock();
      if (self && !self->stopped && self->ws == conn && !self->is_registered) self->lost("no RegisterWorkerResponse");
    });
  }

  void on_open() {
    pb::WorkerMessage m;
    auto* r = m.mutable_register_();
    r->set_type(pb::JT_ROOM);
    r->set_agent_name(o.agent_name);
    r->set_version(o.version);
    r->set_ping_interval(static_cast<uint32_t>(o.ping_interval.count() / 1000));
    // Present means "exactly these" to the server, so every grant the agent needs is set.
    auto* p = r->mutable_allowed_permissions();
    p->set_can_subscribe(true);
    p->set_can_publish(true);
    p->set_can_publish_data(true);
    p->set_hidden(false);
    p->set_can_update_metadata(true);
    send(m);
  }

  void on_frame(std::string&& frame, bool binary) {
    pb::ServerMessage m;
    if (!binary || !m.ParseFromString(frame)) {
      o.logger.warn("agent worker: a server message that is not a ServerMessage was ignored",
                    {{"bytes", frame.size()}, {"binary", binary}});
      return;
    }
    switch (m.message_case()) {
      case pb::ServerMessage::kRegister:
        return on_registered(m.register_());
      case pb::ServerMessage::kAvailability:
        return on_availability(m.availability());
      case pb::ServerMessage::kAssignment:
        return on_assignment(m.assignment());
      case pb::ServerMessage::kTermination:
        o.logger.info("agent worker: the server ended a job", {{"job_id", m.termination().job_id()}});
        if (hooks.on_termination) hooks.on_termination(m.termination().job_id());
        return;
      case pb::ServerMessage::kPong:
        last_pong = SteadyClock::now();
        return;
      case pb::ServerMessage::MESSAGE_NOT_SET:
        return;  // a message newer than parley's subset (Cloud's go_away)
    }
  }

  void on_registered(const pb::RegisterWorkerResponse& r) {
    is_registered = true;
    registered_now = true;
    reconnects = 0;
    worker_id = r.worker_id();
    register_timer.cancel();
    last_pong = SteadyClock::now();
    o.logger.info("agent worker registered",
                  {{"worker_id", worker_id}, {"agent_name", o.agent_name}, {"server_version", r.server_info().version()},
                   {"agent_protocol", r.server_info().agent_protocol()}, {"jobs", slots.size()}});
    reported_status = -1;
    report();
    schedule_status();
    schedule_ping();
    if (hooks.on_registered) hooks.on_registered(worker_id);
  }

  void reclaim_expired() {
    auto now = SteadyClock::now();
    for (auto it = slots.begin(); it != slots.end();) {
      if (!it->second.assigned && now - it->second.accepted >= o.assignment_timeout) {
        o.logger.info("agent worker: an accepted job was never assigned; its slot is free again",
                      {{"job_id", it->first}, {"room", it->second.room}});
        it = slots.erase(it);
      } else {
        ++it;
      }
    }
    job_count = static_cast<int>(slots.size());
  }

  bool full() const { return draining || static_cast<int>(slots.size()) >= o.capacity; }

  void on_availability(const pb::AvailabilityRequest& req) {
    reclaim_expired();
    const auto& job = req.job();
    bool take = !full() && !slots.count(job.id());
    pb::WorkerMessage m;
    auto* a = m.mutable_availability();
    a->set_job_id(job.id());
    a->set_available(take);
    if (take) {
      a->set_participant_identity(o.participant_identity);
      a->set_participant_name(o.participant_name);
      slots[job.id()] = Slot{false, SteadyClock::now(), job.room().name()};
      job_count = static_cast<int>(slots.size());
    }
    send(m);
    o.logger.info(take ? "agent worker: job accepted" : "agent worker: job declined",
                  {{"job_id", job.id()}, {"room", job.room().name()}, {"dispatch_id", job.dispatch_id()},
                   {"jobs", slots.size()}, {"capacity", o.capacity}, {"draining", draining}});
    if (take) report();
  }

  void on_assignment(const pb::JobAssignment& a) {
    const auto& job = a.job();
    auto& slot = slots[job.id()];  // an expired slot is taken again: the server counts on us now
    slot.assigned = true;
    slot.room = job.room().name();
    job_count = static_cast<int>(slots.size());
    AgentJob j;
    j.id = job.id();
    j.dispatch_id = job.dispatch_id();
    j.room = job.room().name();
    j.room_sid = job.room().sid();
    j.metadata = job.metadata();
    j.room_metadata = job.room().metadata();
    j.token = a.token();
    j.url = a.has_url() ? a.url() : "";
    o.logger.info("agent worker: job assigned", {{"job_id", j.id}, {"room", j.room}, {"dispatch_id", j.dispatch_id}});
    if (hooks.on_job) hooks.on_job(std::move(j));
  }

  void update_job(const std::string& job_id, pb::JobStatus status, const std::string& error) {
    pb::WorkerMessage m;
    auto* u = m.mutable_update_job();
    u->set_job_id(job_id);
    u->set_status(status);
    u->set_error(error);
    send(m);
  }

  // UpdateWorkerStatus when what the server knows is stale (or `force`, the periodic one).
  void report(bool force = false) {
    if (!is_registered) return;
    reclaim_expired();
    int status = full() ? pb::WS_FULL : pb::WS_AVAILABLE;
    float load = draining ? 1.0f
                          : std::min(1.0f, static_cast<float>(slots.size()) / static_cast<float>(std::max(1, o.capacity)));
    if (!force && status == reported_status && load == reported_load) return;
    pb::WorkerMessage m;
    auto* u = m.mutable_update_worker();
    u->set_status(static_cast<pb::WorkerStatus>(status));
    u->set_load(load);
    u->set_job_count(static_cast<uint32_t>(slots.size()));
    send(m);
    if (status != reported_status) {
      o.logger.info(status == pb::WS_FULL ? "agent worker: full" : "agent worker: available",
                    {{"load", load}, {"jobs", slots.size()}, {"capacity", o.capacity}, {"draining", draining}});
    }
    reported_status = status;
    reported_load = load;
  }

  void schedule_status() {
    std::weak_ptr<Impl> weak = weak_from_this();
    status_timer = loop.post_after(o.status_interval, [weak] {
      auto self = weak.lock();
      if (!self || self->stopped || !self->is_registered) return;
      self->report(true);
      self->schedule_status();
    });
  }

  void schedule_ping() {
    std::weak_ptr<Impl> weak = weak_from_this();
    ping_timer = loop.post_after(o.ping_interval, [weak] {
      auto self = weak.lock();
      if (!self || self->stopped || !self->is_registered) return;
      if (SteadyClock::now() - self->last_pong > self->o.pong_timeout) return self->lost("no pong from the server");
      pb::WorkerMessage m;
      m.mutable_ping()->set_timestamp(unix_ms());
      self->send(m);
      self->schedule_ping();
    });
  }

  void send(const pb::WorkerMessage& m) {
    if (!ws || !ws->is_open()) return;
    if (auto s = ws->send(m.SerializeAsString()); !s) lost("send failed: " + s.error().to_string());
  }

  // The connection is gone: jobs accepted but not assigned are void, running ones go on; try again.
  void lost(const std::string& why) {
    if (stopped) return;
    if (ws) {
      auto conn = std::move(ws);
      conn->abort();
    }
    is_registered = false;
    registered_now = false;
    register_timer.cancel();
    status_timer.cancel();
    ping_timer.cancel();
    for (auto it = slots.begin(); it != slots.end();) it = it->second.assigned ? std::next(it) : slots.erase(it);
    job_count = static_cast<int>(slots.size());
    auto delay = backoff.delay(++reconnects);
    o.logger.warn("agent worker: connection lost; reconnecting",
                  {{"why", why}, {"attempt", reconnects}, {"delay_ms", delay.count()}, {"running_jobs", slots.size()}});
    std::weak_ptr<Impl> weak = weak_from_this();
    reconnect_timer = loop.post_after(delay, [weak] {
      if (auto self = weak.lock(); self && !self->stopped) self->connect();
    });
  }

  void shut() {
    if (stopped) return;
    stopped = true;
    registered_now = false;
    reconnect_timer.cancel();
    status_timer.cancel();
    ping_timer.cancel();
    register_timer.cancel();
    if (ws) {
      auto conn = std::move(ws);
      conn->close();
    }
  }
};

AgentWorker::AgentWorker(AsioLoop& loop, AgentWorkerOptions options, AgentWorkerHooks hooks)
    : impl_(std::make_shared<Impl>(loop, std::move(options), std::move(hooks))) {}

std::unique_ptr<AgentWorker> AgentWorker::create(AsioLoop& loop, AgentWorkerOptions options, AgentWorkerHooks hooks) {
  return std::unique_ptr<AgentWorker>(new AgentWorker(loop, std::move(options), std::move(hooks)));
}

AgentWorker::~AgentWorker() { stop(); }

void AgentWorker::start() {
  impl_->on_loop([](Impl& w) { w.connect(); });
}

void AgentWorker::job_running(const std::string& job_id) {
  impl_->on_loop([job_id](Impl& w) { w.update_job(job_id, pb::JS_RUNNING, ""); });
}

void AgentWorker::finish_job(const std::string& job_id, const std::string& error) {
  impl_->on_loop([job_id, error](Impl& w) {
    w.update_job(job_id, error.empty() ? pb::JS_SUCCESS : pb::JS_FAILED, error);
    w.slots.erase(job_id);
    w.job_count = static_cast<int>(w.slots.size());
    w.report();
  });
}

void AgentWorker::drain() {
  impl_->on_loop([](Impl& w) {
    if (w.draining) return;
    w.draining = true;
    w.o.logger.info("agent worker draining: reporting full, no new jobs", {{"running_jobs", w.slots.size()}});
    w.report();
  });
}

void AgentWorker::set_capacity(int capacity) {
  impl_->on_loop([capacity](Impl& w) {
    w.o.capacity = capacity;
    w.report();
  });
}

void AgentWorker::stop() {
  auto impl = impl_;
  if (impl->loop.is_current()) return impl->shut();
  if (impl->loop.stopped()) return;
  std::promise<void> done;
  auto fut = done.get_future();
  impl->loop.post([impl, &done] {
    impl->shut();
    done.set_value();
  });
  fut.wait();
}

bool AgentWorker::registered() const { return impl_->registered_now; }
int AgentWorker::jobs() const { return impl_->job_count; }

}  // namespace parley::livekit
