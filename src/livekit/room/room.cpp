// Room: the LiveKit v0 participant. See room.h for the threading model; everything in
// RoomImpl below runs on the media loop unless a comment says otherwise.
#include "livekit/room/room.h"

#include <atomic>
#include <future>
#include <random>

#include "core/clock.h"
#include "core/loop_watchdog.h"
#include "core/metrics.h"
#include "livekit/proto/livekit_rtc.pb.h"
#include "livekit/room/data_backlog.h"
#include "livekit/room/local_audio_track_impl.h"
#include "livekit/room/participants.h"
#include "livekit/room/reconnect_policy.h"
#include "livekit/room/rejoin_schedule.h"
#include "livekit/room/remote_audio.h"
#include "livekit/room/sdp_tracks.h"
#include "livekit/room/subscription_watch.h"
#include "livekit/room/text_stream_reader.h"
#include "livekit/room/text_stream_writer.h"
#include "livekit/rtc/peer_connection.h"
#include "livekit/signal/signal_client.h"
#include "media/shared_frame_tick.h"

namespace parley::livekit {

namespace lk = ::livekit;
using namespace std::chrono_literals;

std::string_view to_string(ParticipantKind k) {
  switch (k) {
    case ParticipantKind::kStandard: return "standard";
    case ParticipantKind::kIngress: return "ingress";
    case ParticipantKind::kEgress: return "egress";
    case ParticipantKind::kSip: return "sip";
    case ParticipantKind::kAgent: return "agent";
    case ParticipantKind::kConnector: return "connector";
    case ParticipantKind::kBridge: return "bridge";
  }
  return "standard";
}

std::string_view to_string(ConnectStep s) {
  switch (s) {
    case ConnectStep::kSignalOpen: return "signal_open";
    case ConnectStep::kJoined: return "joined";
    case ConnectStep::kIceConnected: return "ice_connected";
  }
  return "signal_open";
}

namespace {

metrics::Counter& send_failures() {
  static auto& c = metrics::registry()
                       .counter("parley_room_data_send_failures_total",
                                "data packets and text stream parts that could not be sent (room closed, channel down)")
                       .get();
  return c;
}

metrics::Counter& subscription_asks() {
  static auto& c = metrics::registry()
                       .counter("parley_room_subscription_asks_total",
                                "times a room asked the server again for a remote audio track it had not offered in time")
                       .get();
  return c;
}

std::string random_id(std::string_view prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(prefix);
  for (int i = 0; i < 12; ++i) out.push_back(kAlnum[rng() % 62]);
  return out;
}

class RoomImpl;

// Receives signal messages on the I/O loop and carries them to the media loop.
class SignalBridge final : public SignalHandler {
 public:
  SignalBridge(std::weak_ptr<RoomImpl> room, EventLoop& media) : room_(std::move(room)), media_(media) {}
  void on_join(const lk::JoinResponse& j) override;
  void on_reconnect(const lk::ReconnectResponse& r) override;
  void on_refresh_token(const std::string& t) override;
  void on_offer(const lk::SessionDescription& s) override;
  void on_answer(const lk::SessionDescription& s) override;
  void on_trickle(lk::SignalTarget t, const CandidateInit& c, bool final) override;
  void on_participant_update(const lk::ParticipantUpdate& u) override;
  void on_track_published(const lk::TrackPublishedResponse& t) override;
  void on_track_unpublished(const std::string& sid) override;
  void on_subscription_response(const lk::SubscriptionResponse& r) override;
  void on_track_subscribed(const std::string& sid) override;
  void on_leave(const lk::LeaveRequest& l) override;

 private:
  template <class F>
  void to_media(F f);
  std::weak_ptr<RoomImpl> room_;
  EventLoop& media_;
};

class RoomImpl final : public Room {
 public:
  RoomImpl(LoopPool& loops, std::string url, std::string token, RoomOptions options, RoomCallbacks cb)
      : media_(loops.next_media()),
        io_(options.signal_loop ? *options.signal_loop : loops.next_io()),
        url_(std::move(url)),
        token_(std::move(token)),
        options_(std::move(options)),
        cb_(std::move(cb)),
        log_(options_.logger),
        remote_audio_(cb_, log_, options_.audio_sample_rate, options_.audio_as_received),
        tick_(media::SharedFrameTick::for_loop(media_)),
        rejoin_(rejoin_policy(options_.rejoin_attempts)),
        first_join_(rejoin_policy(std::max(1, options_.join_attempts))),
        watch_(SubscriptionWatch::Options{options_.subscribe_grace}) {}

  GlibLoop& media_loop() { return media_; }

  void start(ConnectDone done) {
    connect_done_ = std::move(done);
    // Nobody else holds the room until connect_done hands it out.
    keepalive_ = std::static_pointer_cast<RoomImpl>(shared_from_this());
    try_join();
  }

  // One try of the first join, with its own connect_timeout.
  void try_join() {
    auto weak = weak_this();
    connect_timer_ = media_.post_after(options_.connect_timeout, [weak] {
      if (auto self = weak.lock()) {
        self->fail_connect(Error(ErrorCode::kTimeout, "joining the room timed out (signal or ICE did not connect)", true));
      }
    });
    open_signal("", 0);
  }

  // ---- Room API (any thread) ----
  void publish_audio(std::string name, std::function<void(Result<std::shared_ptr<LocalAudioTrack>>)> done) override {
    auto on_closed = [done](const Error& e) { done(tl::unexpected(e)); };
    on_media([name = std::move(name), done = std::move(done)](RoomImpl& self) mutable { self.do_publish(name, done); },
             std::move(on_closed));
  }
  Status send_data(std::string payload, std::string topic, bool reliable, std::vector<std::string> destinations) override {
    lk::DataPacket p;
    p.set_kind(reliable ? lk::DataPacket::RELIABLE : lk::DataPacket::LOSSY);
    p.mutable_user()->set_payload(std::move(payload));
    if (!topic.empty()) p.mutable_user()->set_topic(topic);
    for (auto& d : destinations) p.add_destination_identities(d);
    if (p.ByteSizeLong() > 60'000) return make_error(ErrorCode::kInvalidArgument, "data packet over 60 kB; split it");
    return send_packets({p.SerializeAsString()}, reliable);
  }
  Status send_text(std::string text, std::string topic, std::map<std::string, std::string> attributes,
                   std::vector<std::string> destinations) override {
    std::string id = random_id("TS_");
    std::vector<std::string> packets;
    packets.push_back(text_stream::header(id, topic, attributes, destinations, "", text.size()));
    uint64_t index = 0;
    text_stream::append_chunks(packets, id, text, destinations, index);
    packets.push_back(text_stream::trailer(id, {}, destinations));
    return send_packets(std::move(packets), true);
  }
  Result<std::unique_ptr<TextStreamWriter>> open_text_stream(std::string topic, TextStreamOptions options) override;

  void leave(std::function<void()> done) override {
    auto self = std::static_pointer_cast<RoomImpl>(shared_from_this());
    media_.post([self, done = std::move(done)] {
      self->shutdown(true);
      if (done) done();
    });
  }
  std::optional<AudioQuality> audio_quality(const std::string& track_sid) const override {
    std::lock_guard l(quality_mutex_);
    auto it = quality_.find(track_sid);
    if (it == quality_.end()) return std::nullopt;
    return it->second;
  }
  Participant local_participant() const override { return participants_.local(); }
  std::vector<Participant> remote_participants() const override { return participants_.remotes(); }
  std::string room_name() const override { return participants_.room_name(); }
  void drop_signal_for_test() override {
    auto sc = signal_;
    io_.post([sc] {
      if (sc) sc->abort();
    });
    // abort() suppresses callbacks, so report the loss ourselves as the network would.
    on_media([](RoomImpl& self) { self.on_signal_lost(Error(ErrorCode::kUnavailable, "test: signal dropped", true)); });
  }

  // ---- from the signal bridge (media loop) ----
  void handle_join(const lk::JoinResponse& j) {
    if (closed_) return;
    participants_.joined(j.participant(), j.room().name());
    log_ = log_.with("room", j.room().name());
    log_.info("joined room", {{"sid", j.participant().sid()}, {"others", j.other_participants_size()},
                              {"server", j.server_info().version()}});
    ice_servers_.clear();
    for (const auto& s : j.ice_servers()) {
      rtc::IceServer is;
      is.urls.assign(s.urls().begin(), s.urls().end());
      is.username = s.username();
      is.credential = s.credential();
      ice_servers_.push_back(std::move(is));
    }
    resume_disabled_ = j.client_configuration().resume_connection() == lk::DISABLED;
    connect_step(ConnectStep::kJoined);
    for (const auto& p : j.other_participants()) update_participant(p);
    if (!watch_timer_.active()) watch_subscriptions();
    create_peer_connections();
    negotiate_publisher(false);
  }

  void refresh_token(const std::string& t) {
    if (closed_ || t.empty()) return;
    token_ = t;
    log_.debug("join token refreshed");
  }

  void handle_reconnect(const lk::ReconnectResponse&) {
    if (closed_) return;
    log_.info("signal resumed");
    // The server ICE-restarts the subscriber with a new offer; restart the publisher too, and
    // tell the server what we have.
    lk::SignalRequest req;
    auto* sync = req.mutable_sync_state();
    if (!last_answer_.sdp().empty()) *sync->mutable_answer() = last_answer_;
    if (!last_offer_.sdp().empty()) *sync->mutable_offer() = last_offer_;
    sync->mutable_subscription()->set_subscribe(true);
    for (const auto& sid : remote_audio_.track_sids()) sync->mutable_subscription()->add_track_sids(sid);
    for (const auto& [cid, tp] : published_) *sync->add_publish_tracks() = tp;
    for (const char* label : {"_reliable", "_lossy"}) {
      auto* dc = sync->add_data_channels();
      dc->set_label(label);
      dc->set_target(lk::PUBLISHER);
    }
    send(req);
    negotiate_publisher(true);
    reconnecting_ = false;
    if (cb_.on_reconnected) cb_.on_reconnected(false);
  }

  void handle_offer(const lk::SessionDescription& offer) {
    if (closed_ || !subscriber_) return;
    auto answer = subscriber_->create_answer(offer.sdp());
    if (!answer) {
      log_.error("cannot answer the subscriber offer", {{"error", answer.error().to_string()}});
      return;
    }
    lk::SignalRequest req;
    req.mutable_answer()->set_type("answer");
    req.mutable_answer()->set_sdp(*answer);
    req.mutable_answer()->set_id(offer.id());
    last_answer_ = req.answer();
    send(req);
    flush_candidates(lk::SUBSCRIBER);
    const auto tracks = sdp_tracks(offer.sdp());
    // What the server offers, so that a track it never offered can be told from one parley did
    // not take up (a caller whose audio never arrives).
    nlohmann::json offered = nlohmann::json::array();
    for (const auto& [mid, t] : tracks) offered.push_back(mid + ": " + t.kind + " " + t.track_sid + " of " + t.participant_sid);
    log_.debug("subscriber offer answered", {{"offer_id", offer.id()}, {"tracks", std::move(offered)}});
    apply_subscriber_tracks(tracks);
  }

  void handle_answer(const lk::SessionDescription& answer) {
    if (closed_ || !publisher_) return;
    // The server echoes the offer's id (0 from servers that do not). An answer to an earlier
    // offer (one sent before a full rejoin replaced the publisher) does not fit this one's
    // m= sections, and applying it would fail the session.
    if (answer.id() != 0 && (!offer_in_flight_ || answer.id() != offer_id_)) {
      log_.info("stale publisher answer ignored", {{"answer_id", answer.id()}, {"offer_id", offer_id_}});
      return;
    }
    if (auto s = publisher_->set_answer(answer.sdp()); !s) {
      log_.error("publisher answer rejected", {{"error", s.error().to_string()}});
      return;
    }
    publisher_has_answer_ = true;
    flush_candidates(lk::PUBLISHER);
    offer_in_flight_ = false;
    if (renegotiate_) {
      bool restart = restart_pending_;
      renegotiate_ = restart_pending_ = false;
      negotiate_publisher(restart);
    }
  }

  void handle_trickle(lk::SignalTarget target, const CandidateInit& c, bool final) {
    if (closed_) return;
    rtc::IceCandidateInit init{c.candidate, c.sdp_mid, c.sdp_mline_index < 0 ? 0 : c.sdp_mline_index,
                               c.username_fragment};
    if (final && c.candidate.empty()) init.candidate.clear();
    auto& pending = target == lk::PUBLISHER ? pending_pub_ : pending_sub_;
    bool ready = target == lk::PUBLISHER ? (publisher_ && publisher_has_answer_) : (subscriber_ && !last_answer_.sdp().empty());
    if (!ready) {
      if (pending.size() < 64) pending.push_back(init);
      return;
    }
    auto* pc = target == lk::PUBLISHER ? publisher_.get() : subscriber_.get();
    if (auto s = pc->add_remote_candidate(init); !s) log_.debug("remote candidate refused", {{"error", s.error().to_string()}});
  }

  void handle_participants(const lk::ParticipantUpdate& u) {
    if (closed_) return;
    for (const auto& p : u.participants()) update_participant(p);
  }

  void handle_track_published(const lk::TrackPublishedResponse& t) {
    if (closed_) return;
    published_[t.cid()] = t;
    auto it = pending_publish_.find(t.cid());
    if (it == pending_publish_.end()) {
      // Republished after a full rejoin: the server gave the track a new sid.
      if (auto lt = local_tracks_.find(t.cid()); lt != local_tracks_.end()) {
        lt->second->set_sid(t.track().sid());
        log_.info("track republished", {{"sid", t.track().sid()}, {"cid", t.cid()}});
      }
      return;
    }
    auto [track, done] = std::move(it->second);
    pending_publish_.erase(it);
    track->set_sid(t.track().sid());
    log_.info("track published", {{"sid", t.track().sid()}, {"cid", t.cid()}});
    done(std::static_pointer_cast<LocalAudioTrack>(track));
  }

  void handle_track_unpublished(const std::string& sid) { remote_audio_.track_unpublished(sid); }

  // The server bound a subscriber's copy of one of our tracks: what it sends is now heard.
  void handle_local_track_subscribed(const std::string& sid) {
    if (closed_) return;
    for (auto& [id, track] : local_tracks_) {
      if (track->sid() != sid || track->subscribed()) continue;
      track->mark_subscribed();
      log_.debug("the track has a subscriber", {{"sid", sid}});
      if (cb_.on_local_track_subscribed) cb_.on_local_track_subscribed(sid);
    }
  }

  // The server could not subscribe us to a track (it gave up on it, or the track never bound to
  // our answer). The watch asks for it afresh.
  void handle_subscription_error(const lk::SubscriptionResponse& r) {
    if (closed_) return;
    log_.warn("the server could not subscribe this room to a track",
              {{"track", r.track_sid()}, {"error", lk::SubscriptionError_Name(r.err())}});
    watch_.refused(r.track_sid(), std::chrono::steady_clock::now());
  }

  // Once a second while connected: asks the server for remote audio tracks it has not offered
  // (subscription_watch.h). Only for an auto-subscribing room: one that subscribes itself
  // (parley diagnose) wants no tracks.
  void watch_subscriptions() {
    if (closed_ || !options_.auto_subscribe || options_.subscribe_grace.count() <= 0) return;
    auto weak = weak_this();
    watch_timer_ = media_.post_after(std::chrono::seconds(1), [weak] {
      auto self = weak.lock();
      if (!self || self->closed_) return;
      if (self->connected_ && !self->reconnecting_ && !self->rejoining_) self->ask_for_missing_tracks();
      self->watch_subscriptions();
    });
  }

  void ask_for_missing_tracks() {
    for (const auto& ask : watch_.due(std::chrono::steady_clock::now())) {
      const auto who = participants_.identity_of(ask.participant_sid);
      log_.warn(ask.subscribe ? "asking the server for a track it has not offered"
                              : "dropping a track the server has not offered, to ask for it afresh",
                {{"track", ask.track_sid}, {"participant", who.value_or(ask.participant_sid)}, {"attempt", ask.attempt}});
      lk::SignalRequest req;
      auto* sub = req.mutable_subscription();
      sub->set_subscribe(ask.subscribe);
      sub->add_track_sids(ask.track_sid);  // track_sids alone: the server acts on each list it gets
      send(req);
      subscription_asks().inc();
    }
  }

  void handle_leave(const lk::LeaveRequest& l) {
    if (closed_) return;
    std::string why = std::string("the server ended the session: ") + lk::DisconnectReason_Name(l.reason());
    log_.warn("server leave", {{"reason", lk::DisconnectReason_Name(l.reason())},
                               {"action", lk::LeaveRequest_Action_Name(l.action())}});
    auto r = reconnect_policy::on_server_leave(state(), l.action());
    recover(r, Error(ErrorCode::kUnavailable, why, r != Recovery::kDisconnect));
  }

  void on_signal_lost(Error e) { recover(reconnect_policy::on_signal_lost(state()), e); }

  ConnectionState state() const {
    return ConnectionState{closed_, connected_, reconnecting_, rejoining_, resume_disabled_};
  }

  // Carries out what reconnect_policy decided.
  void recover(Recovery r, const Error& e) {
    switch (r) {
      case Recovery::kNone: return;
      case Recovery::kFailJoin: return fail_connect(e);
      case Recovery::kResume:
        reconnecting_ = true;
        log_.warn("signal lost, resuming", {{"error", e.to_string()}});
        return open_signal(local_participant().sid, lk::RR_SIGNAL_DISCONNECTED);
      case Recovery::kFullRejoin:
        reconnecting_ = false;
        return full_rejoin(e);
      case Recovery::kRetryRejoin: return schedule_rejoin(e);
      case Recovery::kDisconnect: return disconnect(e);
    }
  }

  std::weak_ptr<RoomImpl> weak_this() { return std::static_pointer_cast<RoomImpl>(shared_from_this()); }

  void shutdown(bool send_leave) {
    if (closed_) return;
    closed_ = true;
    closed_for_sends_ = true;
    connect_timer_.cancel();
    pump_timer_.cancel();
    retry_timer_.cancel();
    watch_timer_.cancel();
    auto sc = std::move(signal_);
    auto bridge = std::move(bridge_);
    io_.post([sc, bridge, send_leave] {
      if (!sc) return;
      if (send_leave) {
        sc->leave();
      } else {
        sc->close();
      }
    });
    close_peer_connections();
    backlog_.clear();
    for (auto& [cid, p] : pending_publish_) p.second(make_error(ErrorCode::kCancelled, "the room was left"));
    pending_publish_.clear();
    text_.clear();
    cb_ = {};
    if (connect_done_) {
      auto done = std::move(connect_done_);
      done(make_error(ErrorCode::kCancelled, "left before the room was joined"));
    }
    release_keepalive();
  }

  // Drops the connect-time self reference from a later task, never inside a member function.
  void release_keepalive() {
    if (keepalive_) media_.post([keep = std::move(keepalive_)] {});
  }

 private:
  template <class F>
  void on_media(F f, std::function<void(const Error&)> closed = {}) {
    auto weak = weak_this();
    media_.post([weak, f = std::move(f), closed = std::move(closed)]() mutable {
      auto self = weak.lock();
      if (!self || self->closed_) {
        if (closed) closed(Error(ErrorCode::kCancelled, "the room is closed"));
        return;
      }
      f(*self);
    });
  }

  void send(const lk::SignalRequest& req) {
    if (signal_) (void)signal_->send(req);
  }

  void open_signal(const std::string& resume_sid, int reason) {
    auto weak = weak_this();
    bridge_ = std::make_shared<SignalBridge>(weak, media_);
    signal_ = SignalClient::create(io_, log_);
    SignalConnectOptions o;
    o.url = url_;
    o.token = token_;
    o.auto_subscribe = options_.auto_subscribe;
    o.resume_sid = resume_sid;
    o.reconnect_reason = reason;
    o.ca_file = options_.ca_file;
    o.timeout = std::min<std::chrono::milliseconds>(options_.connect_timeout, 15s);
    o.on_open = [weak, &media = media_] {
      media.post([weak] {
        if (auto self = weak.lock()) self->connect_step(ConnectStep::kSignalOpen);
      });
    };
    auto sc = signal_;
    auto bridge = bridge_;
    auto& media = media_;
    // The client keeps these callbacks until it is shut down, so they name it weakly: a strong
    // reference would be a cycle (client -> callback -> client) that only the client's shutdown
    // on the I/O loop breaks, and a process that stops that loop first (a CLI leaving a room at
    // exit) leaked the client, its WebSocket and the room's memory.
    std::weak_ptr<SignalClient> weak_sc = sc;
    io_.post([sc, bridge, o, weak, weak_sc, &media] {
      sc->connect(
          o, bridge.get(),
          [weak, &media, weak_sc, bridge](Status s) {
            if (s) return;
            media.post([weak, e = s.error(), weak_sc] {
              auto self = weak.lock();
              if (self && self->is_current_signal(weak_sc)) self->on_connect_failed(e);
            });
          },
          [weak, &media, weak_sc](Error e) {
            media.post([weak, e, weak_sc] {
              auto self = weak.lock();
              if (self && self->is_current_signal(weak_sc)) self->on_signal_lost(e);
            });
          });
    });
  }

  bool is_current_signal(const std::weak_ptr<SignalClient>& sc) const {
    auto live = sc.lock();
    return live && live == signal_;
  }

  void on_connect_failed(const Error& e) { recover(reconnect_policy::on_connect_failed(state()), e); }

  void full_rejoin(const Error& why) {
    if (closed_) return;
    log_.warn("rejoining the room in full", {{"why", why.to_string()}});
    rejoining_ = true;
    reconnecting_ = false;
    drop_session();
    rejoin_.start();
    open_signal("", 0);
  }

  // Closes the signal connection and both PeerConnections, and forgets the tracks on them, for
  // a join from scratch.
  void drop_session() {
    if (signal_) {
      auto sc = std::move(signal_);
      io_.post([sc] { sc->close(); });
    }
    close_peer_connections();
    remote_audio_.clear();
    watch_.clear();
    published_.clear();
  }

  void schedule_rejoin(const Error& e) {
    // A refusal that will not pass (401: the newest token we hold is refused, 403, 404 room
    // gone, a leave that forbids reconnecting) ends the room now instead of spending the tries.
    if (!e.retryable) {
      log_.warn("rejoin refused, not trying again", {{"error", e.to_string()}});
      return disconnect(Error(e.code, "rejoining failed: " + e.message + " (not retried: it will not pass by itself)", false));
    }
    auto wait = rejoin_.next_after_failure();
    if (!wait) return disconnect(Error(e.code, "rejoining failed: " + e.message, false));
    log_.info("rejoin failed, trying again", {{"error", e.to_string()}, {"failed", rejoin_.failed()},
                                               {"wait_ms", static_cast<int64_t>(wait->count())}});
    auto weak = weak_this();
    retry_timer_ = media_.post_after(*wait, [weak] {
      if (auto self = weak.lock()) self->open_signal("", 0);
    });
  }

  // Only while connect() is pending: reconnections have their own callbacks.
  void connect_step(ConnectStep step) {
    if (connect_done_ && !closed_ && cb_.on_connect_step) cb_.on_connect_step(step);
  }

  void fail_connect(const Error& e) {
    if (!connect_done_) return disconnect(e);
    if (retry_first_join(e)) return;
    Error err = e;
    if (first_join_.failed() > 1) err.message += " (after " + std::to_string(first_join_.failed()) + " tries)";
    auto done = std::move(connect_done_);
    shutdown(false);
    done(tl::unexpected(err));
  }

  // The first join failed with what may pass (the server restarting: connection refused, 5xx,
  // a timeout): try again after the rejoin backoff, up to options_.join_attempts tries. A
  // refusal that will not (401 bad token, 403, 404) fails the join at once.
  bool retry_first_join(const Error& e) {
    if (closed_ || !e.retryable) return false;
    auto wait = first_join_.next_after_failure();
    if (!wait) return false;
    log_.info("joining the room failed, trying again", {{"error", e.to_string()}, {"failed", first_join_.failed()},
                                                       {"wait_ms", static_cast<int64_t>(wait->count())}});
    connect_timer_.cancel();
    drop_session();
    auto weak = weak_this();
    retry_timer_ = media_.post_after(*wait, [weak] {
      if (auto self = weak.lock(); self && !self->closed_) self->try_join();
    });
    return true;
  }

  void disconnect(const Error& e) {
    if (closed_) return;
    auto cb = cb_.on_disconnected;
    shutdown(false);
    if (cb) cb(e);
  }

  void update_participant(const lk::ParticipantInfo& p) {
    if (participants_.is_local(p.sid())) return;
    auto u = participants_.update(p);
    if (u.left) {
      watch_.participant_left(p.sid());
      remote_audio_.participant_left(p.sid());
      if (u.known && cb_.on_participant_left) cb_.on_participant_left(u.info);
      return;
    }
    if (!u.known && cb_.on_participant_joined) cb_.on_participant_joined(u.info);
    if (u.known && cb_.on_participant_updated) cb_.on_participant_updated(u.info);
    remote_audio_.participant_updated(p);
    std::vector<std::string> audio;
    for (const auto& t : p.tracks()) {
      if (t.type() == lk::AUDIO) audio.push_back(t.sid());
    }
    watch_.published(p.sid(), audio, std::chrono::steady_clock::now());
  }

  void apply_subscriber_tracks(const std::map<std::string, SdpTrack>& tracks) {
    remote_audio_.apply(tracks, [this](const std::string& sid) { return participants_.identity_of(sid); });
    std::set<std::string> audio;
    for (const auto& [mid, t] : tracks) {
      if (t.kind == "audio") audio.insert(t.track_sid);
    }
    watch_.offered(audio, std::chrono::steady_clock::now());
    start_pump();
  }

  void create_peer_connections() {
    auto weak = weak_this();
    auto make_config = [&](const char* name) {
      rtc::PeerConfig pc;
      pc.ice_servers = ice_servers_;
      pc.name = name;
      pc.ice_udp = options_.ice_udp;
      pc.ice_tcp = options_.ice_tcp;
      pc.logger = log_;  // the call's, with the room's name: rtc lines name their call
      if (auto url = parse_url(url_)) {
        if (auto addr = rtc::route_source_address(url->host)) {
          if (addr->rfind("127.", 0) == 0 || *addr == "::1") {
            pc.loopback_only = true;
          } else {
            pc.local_addresses = {*addr};
          }
        }
      }
      return pc;
    };
    auto callbacks = [weak](lk::SignalTarget target) {
      rtc::PeerCallbacks cb;
      cb.on_local_candidate = [weak, target](const rtc::IceCandidateInit& c) {
        if (auto self = weak.lock()) self->send_candidate(target, c);
      };
      cb.on_state = [weak, target](rtc::PeerState s) {
        if (auto self = weak.lock()) self->on_pc_state(target, s);
      };
      cb.on_audio = [weak](const rtc::RtpAudioPacket& p) {
        if (auto self = weak.lock()) self->on_rtp(p);
      };
      cb.on_data = [weak](const std::string& label, std::span<const uint8_t> data, bool) {
        if (auto self = weak.lock()) self->on_data_packet(label, data);
      };
      cb.on_data_channel_open = [weak, target](const std::string& label) {
        auto self = weak.lock();
        if (!self) return;
        self->log_.debug("data channel open", {{"label", label}, {"pc", static_cast<int>(target)}});
        if (target == lk::PUBLISHER) self->on_publisher_data_open(label);
      };
      return cb;
    };
    subscriber_ = rtc::PeerConnection::create(media_, make_config("subscriber"), callbacks(lk::SUBSCRIBER));
    publisher_ = rtc::PeerConnection::create(media_, make_config("publisher"), callbacks(lk::PUBLISHER));
    (void)publisher_->create_data_channel("_reliable", true, std::nullopt);
    (void)publisher_->create_data_channel("_lossy", false, 0);
    for (auto& [cid, track] : local_tracks_) {
      // A full rejoin: the same tracks again on the new publisher.
      track->attach(publisher_->add_audio_track(stream_id_, track->track_id()));
      send_add_track(track->track_id(), track_names_[cid]);
    }
  }

  void close_peer_connections() {
    for (auto& [cid, t] : local_tracks_) t->attach(nullptr);
    if (subscriber_) subscriber_->close();
    if (publisher_) publisher_->close();
    subscriber_.reset();
    publisher_.reset();
    publisher_has_answer_ = offer_in_flight_ = renegotiate_ = restart_pending_ = false;
    pending_pub_.clear();
    pending_sub_.clear();
    last_answer_.Clear();
    last_offer_.Clear();
  }

  void negotiate_publisher(bool ice_restart) {
    if (!publisher_) return;
    if (offer_in_flight_) {
      renegotiate_ = true;
      restart_pending_ = restart_pending_ || ice_restart;
      return;
    }
    auto offer = publisher_->create_offer(ice_restart);
    if (!offer) {
      log_.error("cannot create the publisher offer", {{"error", offer.error().to_string()}});
      return;
    }
    offer_in_flight_ = true;
    lk::SignalRequest req;
    req.mutable_offer()->set_type("offer");
    req.mutable_offer()->set_sdp(*offer);
    req.mutable_offer()->set_id(++offer_id_);
    last_offer_ = req.offer();
    send(req);
  }

  void flush_candidates(lk::SignalTarget target) {
    auto& pending = target == lk::PUBLISHER ? pending_pub_ : pending_sub_;
    auto* pc = target == lk::PUBLISHER ? publisher_.get() : subscriber_.get();
    if (!pc) return;
    for (auto& c : pending) (void)pc->add_remote_candidate(c);
    pending.clear();
  }

  void send_candidate(lk::SignalTarget target, const rtc::IceCandidateInit& c) {
    if (c.candidate.empty()) return;
    lk::SignalRequest req;
    req.mutable_trickle()->set_candidateinit(c.to_json());
    req.mutable_trickle()->set_target(target);
    send(req);
  }

  void on_pc_state(lk::SignalTarget target, rtc::PeerState s) {
    log_.debug("peer connection state", {{"pc", target == lk::PUBLISHER ? "publisher" : "subscriber"},
                                         {"state", std::string(rtc::to_string(s))}});
    if (target == lk::SUBSCRIBER && s == rtc::PeerState::kConnected) {
      if (!connected_) {
        connected_ = true;
        connect_timer_.cancel();
        connect_step(ConnectStep::kIceConnected);
        if (auto done = std::move(connect_done_)) done(std::static_pointer_cast<Room>(shared_from_this()));
        release_keepalive();
      } else if (rejoining_) {
        rejoining_ = false;
        if (cb_.on_reconnected) cb_.on_reconnected(true);
      }
    }
    if (s == rtc::PeerState::kFailed) {
      recover(reconnect_policy::on_media_failed(state()), Error(ErrorCode::kUnavailable, "media connection failed", true));
    }
  }

  void on_rtp(const rtc::RtpAudioPacket& p) {
    if (!closed_) remote_audio_.on_rtp(p, closed_);
  }

  void start_pump() {
    if (pump_timer_.active() || closed_) return;
    if (remote_audio_.empty() && local_tracks_.empty()) return;
    auto weak = weak_this();
    pump_timer_ = tick_->subscribe([weak] {
      if (auto self = weak.lock()) self->pump();
    });
  }

  // Every 20 ms, on the media loop's shared tick: one frame per remote track out to the consumer,
  // one frame per local track out to the network.
  // Media loop: a snapshot of every track's quality for audio_quality() (any thread).
  void refresh_quality() {
    std::map<std::string, AudioQuality> fresh;
    if (subscriber_) remote_audio_.measure(subscriber_->receive_summaries(), fresh);
    if (publisher_) {
      for (const auto& sent : publisher_->send_summaries()) {
        auto t = local_tracks_.find(sent.track_id);
        if (t == local_tracks_.end() || t->second->sid().empty()) continue;
        fresh[t->second->sid()] = sent_quality(sent);
      }
    }
    std::lock_guard l(quality_mutex_);
    for (auto& [sid, q] : fresh) quality_[sid] = std::move(q);
  }

  void pump() {
    if (closed_) return;
    if (++pumps_ % kQualityRefreshTicks == 0) refresh_quality();
    for (auto& [cid, t] : local_tracks_) t->send_next();
    remote_audio_.pump(closed_);
  }

  void on_data_packet(const std::string& label, std::span<const uint8_t> data) {
    lk::DataPacket p;
    if (data.size() > 70'000 || !p.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      log_.debug("malformed data packet dropped", {{"label", label}, {"bytes", data.size()}});
      return;
    }
    if (p.has_user()) {
      DataMessage m;
      m.sender_identity = p.participant_identity();
      m.topic = p.user().topic();
      m.payload = p.user().payload();
      m.reliable = label != "_lossy";
      if (cb_.on_data) cb_.on_data(m);
    } else if (p.has_sip_dtmf()) {
      DtmfEvent d{p.participant_identity(), p.sip_dtmf().digit(), p.sip_dtmf().code()};
      if (cb_.on_dtmf) cb_.on_dtmf(d);
    } else if (p.has_stream_header() || p.has_stream_chunk() || p.has_stream_trailer()) {
      if (auto s = text_.on_packet(p)) {
        TextMessage t{s->sender_identity, s->topic, std::move(s->text), std::move(s->attributes), s->stream_id};
        if (cb_.on_text) cb_.on_text(t);
      }
    }
  }

  // Fire-and-forget from any thread: the packets go out in order on the media loop, and nothing
  // waits for them (a caller on a loop must not block, and a transcript write is no reason to).
  // What is known now is returned (the room already closed); a send that fails later is logged
  // once per room and counted (parley_room_data_send_failures_total).
  Status send_packets(std::vector<std::string> packets, bool reliable) {
    if (closed_for_sends_.load()) return make_error(ErrorCode::kUnavailable, "the room is not connected", true);
    auto weak = weak_this();
    media_.post([weak, packets = std::move(packets), reliable] {
      auto self = weak.lock();
      if (!self) return;
      if (self->closed_ || !self->publisher_) {
        self->send_failed(Error(ErrorCode::kUnavailable, "the room is not connected", true));
        return;
      }
      const std::string label = reliable ? "_reliable" : "_lossy";
      for (auto& p : packets) {
        if (!self->send_or_hold(label, std::move(p))) return;
      }
    });
    return {};
  }

  // Sends one packet now, or holds it until `label` opens (data_backlog.h); false after a failure.
  // Media loop.
  bool send_or_hold(const std::string& label, std::string packet) {
    if (!backlog_.waiting(label)) {
      auto s = publisher_->send_data(label, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(packet.data()), packet.size()));
      if (s) return true;
      // Only a channel that has not opened yet is waited for; a closed connection is a failure.
      if (s.error().code != ErrorCode::kUnavailable || !s.error().retryable) {
        send_failed(s.error());
        return false;
      }
    }
    if (auto h = backlog_.hold(label, std::move(packet)); !h) {
      send_failed(h.error());
      return false;
    }
    return true;
  }

  // The publisher's channel `label` opened: what waited for it goes out, in order. Media loop.
  void on_publisher_data_open(const std::string& label) {
    auto held = backlog_.take(label);
    if (held.empty() || closed_ || !publisher_) return;
    log_.debug("data sent that waited for its channel to open", {{"label", label}, {"packets", held.size()}});
    for (auto& p : held) {
      if (!send_or_hold(label, std::move(p))) return;
    }
  }

  void send_failed(const Error& e) {
    send_failures().inc();
    if (send_failure_logged_) return;
    send_failure_logged_ = true;
    log_.warn("data not sent (further failures in this room are only counted)", {{"error", e.to_string()}});
  }

  void send_add_track(const std::string& cid, const std::string& name) {
    lk::SignalRequest req;
    auto* add = req.mutable_add_track();
    add->set_cid(cid);
    add->set_name(name);
    add->set_type(lk::AUDIO);
    add->set_source(lk::MICROPHONE);
    add->set_disable_red(true);
    send(req);
    negotiate_publisher(false);
  }

  void do_publish(const std::string& name, const std::function<void(Result<std::shared_ptr<LocalAudioTrack>>)>& done) {
    if (!publisher_) return done(make_error(ErrorCode::kUnavailable, "not connected", true));
    media::OpusEncoderOptions eo;
    auto enc = media::OpusEncoder::create(eo);
    if (!enc) return done(tl::unexpected(enc.error()));
    std::string track_id = random_id("TR_parley_");
    if (stream_id_.empty()) stream_id_ = random_id("ST_");
    auto track = std::make_shared<LocalAudioTrackImpl>(track_id, std::move(*enc));
    track->attach(publisher_->add_audio_track(stream_id_, track_id));
    local_tracks_[track_id] = track;
    track_names_[track_id] = name;
    pending_publish_[track_id] = {track, done};
    send_add_track(track_id, name);
    start_pump();
  }

  GlibLoop& media_;
  AsioLoop& io_;
  std::string url_;
  std::string token_;
  RoomOptions options_;
  RoomCallbacks cb_;
  log::Logger log_;
  RemoteAudio remote_audio_;  // after cb_ and log_, which it reads
  ConnectDone connect_done_;
  std::shared_ptr<RoomImpl> keepalive_;

  std::shared_ptr<SignalClient> signal_;
  std::shared_ptr<SignalBridge> bridge_;
  std::unique_ptr<rtc::PeerConnection> subscriber_, publisher_;
  std::vector<rtc::IceServer> ice_servers_;
  std::vector<rtc::IceCandidateInit> pending_pub_, pending_sub_;
  lk::SessionDescription last_answer_, last_offer_;
  uint32_t offer_id_ = 0;
  bool publisher_has_answer_ = false, offer_in_flight_ = false, renegotiate_ = false, restart_pending_ = false;

  Participants participants_;
  mutable std::mutex quality_mutex_;
  std::map<std::string, AudioQuality> quality_;  // by track sid
  static constexpr uint64_t kQualityRefreshTicks = 50;  // 1 s of 20 ms ticks
  uint64_t pumps_ = 0;

  std::map<std::string, std::shared_ptr<LocalAudioTrackImpl>> local_tracks_;  // by cid
  std::map<std::string, std::string> track_names_;
  std::map<std::string, std::pair<std::shared_ptr<LocalAudioTrackImpl>,
                                  std::function<void(Result<std::shared_ptr<LocalAudioTrack>>)>>>
      pending_publish_;
  std::map<std::string, lk::TrackPublishedResponse> published_;
  std::string stream_id_;
  TextStreamReader text_;

  std::shared_ptr<media::SharedFrameTick> tick_;  // the media loop's, shared with its other rooms
  TimerHandle connect_timer_, pump_timer_, retry_timer_, watch_timer_;
  bool connected_ = false, closed_ = false, reconnecting_ = false, rejoining_ = false, resume_disabled_ = false;
  std::atomic<bool> closed_for_sends_{false};  // closed_, for send_packets on any thread
  bool send_failure_logged_ = false;
  DataBacklog backlog_;  // media loop: data waiting for the publisher's channels to open
  RejoinSchedule rejoin_;
  RejoinSchedule first_join_;  // tries of the first join (RoomOptions::join_attempts)
  SubscriptionWatch watch_;    // remote audio tracks the server has not offered
};

Result<std::unique_ptr<TextStreamWriter>> RoomImpl::open_text_stream(std::string topic, TextStreamOptions options) {
  std::string id = random_id("TS_");
  auto s = send_packets({text_stream::header(id, topic, options.attributes, options.destinations,
                                             options.sender_identity, std::nullopt)},
                        true);
  if (!s) return tl::unexpected(s.error());
  // Holds the room weakly: a stream left open when the room goes away just stops.
  auto send = [room = weak_this()](std::vector<std::string> packets) -> Status {
    auto r = room.lock();
    if (!r) return make_error(ErrorCode::kUnavailable, "the room is gone", true);
    return r->send_packets(std::move(packets), true);
  };
  return text_stream::make_writer(std::move(send), std::move(id), std::move(options.destinations));
}

template <class F>
void SignalBridge::to_media(F f) {
  media_.post([room = room_, f = std::move(f)]() mutable {
    if (auto r = room.lock()) f(*r);
  });
}

void SignalBridge::on_join(const lk::JoinResponse& j) {
  to_media([j](RoomImpl& r) { r.handle_join(j); });
}
// The server renews the join token while we are connected (every few minutes, with a short
// TTL): resumes and rejoins use the newest, so a long call can still rejoin after the token it
// joined with expired.
void SignalBridge::on_refresh_token(const std::string& t) {
  to_media([t](RoomImpl& r) { r.refresh_token(t); });
}

void SignalBridge::on_reconnect(const lk::ReconnectResponse& m) {
  to_media([m](RoomImpl& r) { r.handle_reconnect(m); });
}
void SignalBridge::on_offer(const lk::SessionDescription& s) {
  to_media([s](RoomImpl& r) { r.handle_offer(s); });
}
void SignalBridge::on_answer(const lk::SessionDescription& s) {
  to_media([s](RoomImpl& r) { r.handle_answer(s); });
}
void SignalBridge::on_trickle(lk::SignalTarget t, const CandidateInit& c, bool final) {
  to_media([t, c, final](RoomImpl& r) { r.handle_trickle(t, c, final); });
}
void SignalBridge::on_participant_update(const lk::ParticipantUpdate& u) {
  to_media([u](RoomImpl& r) { r.handle_participants(u); });
}
void SignalBridge::on_track_published(const lk::TrackPublishedResponse& t) {
  to_media([t](RoomImpl& r) { r.handle_track_published(t); });
}
void SignalBridge::on_track_unpublished(const std::string& sid) {
  to_media([sid](RoomImpl& r) { r.handle_track_unpublished(sid); });
}
void SignalBridge::on_subscription_response(const lk::SubscriptionResponse& r) {
  to_media([r](RoomImpl& room) { room.handle_subscription_error(r); });
}
void SignalBridge::on_track_subscribed(const std::string& sid) {
  to_media([sid](RoomImpl& r) { r.handle_local_track_subscribed(sid); });
}
void SignalBridge::on_leave(const lk::LeaveRequest& l) {
  to_media([l](RoomImpl& r) { r.handle_leave(l); });
}

}  // namespace

void Room::connect(LoopPool& loops, std::string url, std::string token, RoomOptions options, RoomCallbacks callbacks,
                   ConnectDone done) {
  auto room = std::make_shared<RoomImpl>(loops, std::move(url), std::move(token), std::move(options), std::move(callbacks));
  room->media_loop().post([room, done = std::move(done)]() mutable { room->start(std::move(done)); });
}

Result<std::shared_ptr<Room>> Room::connect_sync(LoopPool& loops, std::string url, std::string token,
                                                 RoomOptions options, RoomCallbacks callbacks) {
  auto promise = std::make_shared<std::promise<Result<std::shared_ptr<Room>>>>();
  auto future = promise->get_future();
  connect(loops, std::move(url), std::move(token), std::move(options), std::move(callbacks),
          [promise](Result<std::shared_ptr<Room>> r) { promise->set_value(std::move(r)); });
  loop_watchdog::blocking_call("Room::connect_sync waits for the join");
  return future.get();
}

void Room::leave_sync() {
  auto promise = std::make_shared<std::promise<void>>();
  auto future = promise->get_future();
  leave([promise] { promise->set_value(); });
  loop_watchdog::blocking_call("Room::leave_sync waits for the leave");
  future.wait();
}

}  // namespace parley::livekit
