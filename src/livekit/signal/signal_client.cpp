#include "livekit/signal/signal_client.h"

#include <future>

#include "core/loop_watchdog.h"
#include "core/metrics.h"
#include "livekit/signal/signal_dispatch.h"

namespace parley::livekit {

namespace lk = ::livekit;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

metrics::CounterFamily& frames_counter() {
  static auto& c = metrics::registry().counter("parley_signal_frames_total",
                                               "LiveKit signal frames by direction and outcome",
                                               {"direction", "outcome"});
  return c;
}

std::string leave_text(const lk::LeaveRequest& l) {
  return std::string("server asked to leave: reason ") + lk::DisconnectReason_Name(l.reason()) + ", action " +
         lk::LeaveRequest_Action_Name(l.action());
}

}  // namespace

// Sits between the dispatcher and the user's handler: keepalive, token refresh and the first
// frame are the signal client's business; everything else passes through.
class SignalClient::Interceptor final : public SignalHandler {
 public:
  explicit Interceptor(SignalClient& c) : c_(c) {}
  SignalHandler& h() { return *c_.handler_; }

  void on_join(const lk::JoinResponse& j) override {
    c_.start_keepalive(j.ping_interval(), j.ping_timeout());
    h().on_join(j);
  }
  void on_reconnect(const lk::ReconnectResponse& r) override {
    c_.start_keepalive(0, 0);
    h().on_reconnect(r);
  }
  void on_refresh_token(const std::string& t) override {
    {
      std::lock_guard lock(c_.token_mutex_);
      c_.token_ = t;
    }
    h().on_refresh_token(t);  // not registered with the log: tokens are redacted by their shape
  }
  void on_pong(const lk::Pong& p) override {
    if (p.last_ping_timestamp() > 0) c_.rtt_ms_ = std::max<int64_t>(0, now_ms() - p.last_ping_timestamp());
    h().on_pong(p);
  }
  void on_leave(const lk::LeaveRequest& l) override { h().on_leave(l); }
  void on_offer(const lk::SessionDescription& s) override { h().on_offer(s); }
  void on_answer(const lk::SessionDescription& s) override { h().on_answer(s); }
  void on_trickle(lk::SignalTarget t, const CandidateInit& c, bool f) override { h().on_trickle(t, c, f); }
  void on_participant_update(const lk::ParticipantUpdate& u) override { h().on_participant_update(u); }
  void on_track_published(const lk::TrackPublishedResponse& t) override { h().on_track_published(t); }
  void on_track_unpublished(const std::string& s) override { h().on_track_unpublished(s); }
  void on_track_subscribed(const std::string& s) override { h().on_track_subscribed(s); }
  void on_mute(const lk::MuteTrackRequest& m) override { h().on_mute(m); }
  void on_speakers_changed(const lk::SpeakersChanged& s) override { h().on_speakers_changed(s); }
  void on_room_update(const lk::Room& r) override { h().on_room_update(r); }
  void on_subscription_response(const lk::SubscriptionResponse& r) override { h().on_subscription_response(r); }
  void on_request_response(const lk::RequestResponse& r) override { h().on_request_response(r); }
  void on_media_sections_requirement(const lk::MediaSectionsRequirement& m) override {
    h().on_media_sections_requirement(m);
  }

 private:
  SignalClient& c_;
};

std::shared_ptr<SignalClient> SignalClient::create(AsioLoop& loop, log::Logger logger) {
  return std::shared_ptr<SignalClient>(new SignalClient(loop, std::move(logger)));
}

SignalClient::SignalClient(AsioLoop& loop, log::Logger logger)
    : loop_(loop), log_(std::move(logger)), interceptor_(std::make_unique<Interceptor>(*this)) {}

SignalClient::~SignalClient() {
  if (!ws_) return;
  // The transport's state belongs to the loop's thread, but the last owner may be any thread (a
  // test's, a CLI's main). A running loop aborts it itself, and this waits (bounded) so that the
  // socket is closed when the client is gone; a stopped loop runs nothing, so nothing races.
  if (loop_.is_current() || loop_.stopped()) {
    ws_->abort();
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  loop_.post([ws = ws_, done] {
    ws->abort();
    done->set_value();
  });
  // Another loop (a room's media loop held the last reference) must not wait: the abort is
  // queued, and the loop's thread closes the socket soon after.
  if (loop_watchdog::on_loop_thread()) return;
  (void)finished.wait_for(std::chrono::seconds(1));
}

void SignalClient::connect(SignalConnectOptions options, SignalHandler* handler, Connected done, Lost on_lost) {
  if (state_ != State::kIdle) {
    done(make_error(ErrorCode::kInvalidArgument, "a SignalClient connects once; create a new one"));
    return;
  }
  handler_ = handler;
  on_connected_ = std::move(done);
  on_lost_ = std::move(on_lost);
  {
    std::lock_guard lock(token_mutex_);
    token_ = options.token;
  }
  SignalUrlOptions url_opts;
  url_opts.token = options.token;
  url_opts.auto_subscribe = options.auto_subscribe;
  url_opts.resume_sid = options.resume_sid;
  url_opts.reconnect_reason = options.reconnect_reason;
  auto url = make_signal_url(options.url, url_opts);
  if (!url) return fail(url.error());
  state_ = State::kConnecting;
  WsOptions ws_opts;
  ws_opts.connect_timeout = options.timeout;
  ws_opts.ca_file = options.ca_file;
  ws_opts.max_message_bytes = kMaxSignalMessageBytes;
  ws_ = WsTransport::create(loop_, *url, ws_opts);
  std::weak_ptr<SignalClient> weak = weak_from_this();
  ws_->on_message([weak](std::string&& frame, bool binary) {
    if (auto self = weak.lock()) self->on_frame(std::move(frame), binary);
  });
  ws_->on_closed([weak](Error e) {
    if (auto self = weak.lock()) self->fail(std::move(e));
  });
  connect_timer_ = loop_.post_after(options.timeout, [weak] {
    if (auto self = weak.lock()) {
      self->fail(Error(ErrorCode::kTimeout, "no join response from the LiveKit server within the timeout", true));
    }
  });
  log_.debug("signal connecting", {{"url", parse_url(options.url) ? parse_url(options.url)->authority() : ""},
                                   {"resume", !options.resume_sid.empty()}});
  ws_->open(*url, [weak, on_open = std::move(options.on_open)](Status s) {
    auto self = weak.lock();
    if (!self) return;
    if (!s) return self->fail(s.error());
    if (on_open && self->state_ == State::kConnecting) on_open();
  });
}

void SignalClient::on_frame(std::string&& frame, bool binary) {
  if (state_ == State::kClosed) return;
  arm_dead_timer();
  if (!binary) {
    frames_counter().with({"in", "malformed"}).inc();
    return fail(Error(ErrorCode::kProtocol, "the server sent a text frame; parley speaks binary protobuf only"));
  }
  auto msg = parse_signal_response(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(frame.data()), frame.size()));
  if (!msg) {
    frames_counter().with({"in", "malformed"}).inc();
    return fail(msg.error());
  }
  const bool first = state_ == State::kConnecting;
  if (first) {
    auto c = msg->message_case();
    if (c == lk::SignalResponse::kLeave) {
      const auto& l = msg->leave();
      return fail(Error(ErrorCode::kUnavailable, "the server refused the session: " + leave_text(l),
                        l.action() != lk::LeaveRequest::DISCONNECT || l.can_reconnect()));
    }
    if (c != lk::SignalResponse::kJoin && c != lk::SignalResponse::kReconnect) {
      return fail(Error(ErrorCode::kProtocol,
                        "the first signal message was '" + std::string(case_name(*msg)) + "', not join or reconnect"));
    }
  }
  log_.trace("signal in", {{"case", std::string(case_name(*msg))}, {"bytes", frame.size()}});
  // Validate and dispatch; a failed check closes the connection before the handler sees it.
  auto self = shared_from_this();  // the handler may drop its reference
  auto st = dispatch_signal_response(*msg, *interceptor_);
  if (!st) {
    frames_counter().with({"in", "malformed"}).inc();
    return fail(st.error());
  }
  frames_counter().with({"in", "ok"}).inc();
  if (state_ == State::kClosed) return;
  if (first) {
    state_ = State::kConnected;
    connect_timer_.cancel();
    if (auto done = std::move(on_connected_)) done({});
  }
  if (msg->message_case() == lk::SignalResponse::kLeave) {
    // The server closes the socket after a leave; the handler already has the reason.
    shutdown(false, true);
  }
}

Status SignalClient::send(const lk::SignalRequest& request) {
  std::string bytes = request.SerializeAsString();
  if (!loop_.is_current()) {
    std::weak_ptr<SignalClient> weak = weak_from_this();
    loop_.post([weak, bytes = std::move(bytes)]() mutable {
      auto self = weak.lock();
      if (!self || !self->ws_ || self->state_ == State::kClosed) return;
      if (auto s = self->ws_->send(std::move(bytes)); !s) self->fail(s.error());
    });
    return {};
  }
  if (!ws_ || state_ == State::kClosed || state_ == State::kIdle) {
    return make_error(ErrorCode::kUnavailable, "the signal connection is not open", true);
  }
  frames_counter().with({"out", "ok"}).inc();
  return ws_->send(std::move(bytes));
}

void SignalClient::leave() {
  if (state_ == State::kConnected) {
    lk::SignalRequest req;
    req.mutable_leave()->set_reason(lk::CLIENT_INITIATED);
    req.mutable_leave()->set_action(lk::LeaveRequest::DISCONNECT);
    (void)ws_->send(req.SerializeAsString());
  }
  shutdown(false, true);
}

void SignalClient::close() { shutdown(false, true); }

void SignalClient::abort() { shutdown(false, false); }

void SignalClient::shutdown(bool /*send_leave*/, bool graceful) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  connect_timer_.cancel();
  ping_timer_.cancel();
  dead_timer_.cancel();
  on_connected_ = nullptr;
  on_lost_ = nullptr;
  handler_ = nullptr;
  if (ws_) {
    if (graceful) {
      ws_->close();
    } else {
      ws_->abort();
    }
  }
}

void SignalClient::fail(Error e) {
  if (state_ == State::kClosed) return;
  bool connecting = state_ == State::kConnecting || state_ == State::kIdle;
  auto done = std::move(on_connected_);
  auto lost = std::move(on_lost_);
  log_.warn(connecting ? "signal connect failed" : "signal connection lost", {{"error", e.to_string()}});
  shutdown(false, false);
  if (connecting) {
    if (done) done(tl::unexpected(std::move(e)));
  } else if (lost) {
    lost(std::move(e));
  }
}

void SignalClient::start_keepalive(int interval_s, int timeout_s) {
  if (interval_s > 0) ping_interval_ = std::chrono::seconds(interval_s);
  if (timeout_s > 0) ping_timeout_ = std::chrono::seconds(timeout_s);
  if (ping_timeout_ <= ping_interval_) ping_timeout_ = ping_interval_ * 3;
  send_ping();
  arm_dead_timer();
}

void SignalClient::send_ping() {
  if (state_ == State::kClosed) return;
  lk::SignalRequest req;
  req.mutable_ping_req()->set_timestamp(now_ms());
  req.mutable_ping_req()->set_rtt(std::max<int64_t>(0, rtt_ms_.load()));
  if (ws_) (void)ws_->send(req.SerializeAsString());
  std::weak_ptr<SignalClient> weak = weak_from_this();
  ping_timer_ = loop_.post_after(ping_interval_, [weak] {
    if (auto self = weak.lock()) self->send_ping();
  });
}

void SignalClient::arm_dead_timer() {
  if (state_ != State::kConnected && state_ != State::kConnecting) return;
  if (state_ == State::kConnecting && !ping_timer_.active()) return;  // keepalive not started yet
  std::weak_ptr<SignalClient> weak = weak_from_this();
  dead_timer_ = loop_.post_after(ping_timeout_, [weak] {
    if (auto self = weak.lock()) {
      self->fail(Error(ErrorCode::kTimeout,
                       "no message from the LiveKit server for " + std::to_string(self->ping_timeout_.count() / 1000) +
                           " s (ping timeout): the signal connection is dead",
                       true));
    }
  });
}

std::string SignalClient::token() const {
  std::lock_guard lock(token_mutex_);
  return token_;
}

}  // namespace parley::livekit
