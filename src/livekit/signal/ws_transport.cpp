#include "livekit/signal/ws_transport.h"

#include <regex>

#include "net/http_status.h"
#include "net/ws_client.h"

namespace parley::livekit {

std::string redact_jwts(std::string text) {
  // livekit-server echoes the whole token in its 401 reason ("invalid token: eyJ…"): a token
  // is a credential, so it never reaches an error message or a log line.
  static const std::regex kJwt("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.?[A-Za-z0-9_-]*");
  return std::regex_replace(text, kJwt, "[token]");
}

Error http_upgrade_error(unsigned status, std::string_view body) {
  std::string reason = redact_jwts(std::string(body.substr(0, body.find('\n'))));
  while (!reason.empty() && (reason.back() == '\r' || reason.back() == ' ')) reason.pop_back();
  while (!reason.empty() && reason.front() == ' ') reason.erase(0, 1);
  if (reason.size() > 300) reason = reason.substr(0, 300) + "…";
  std::string msg = "the server refused the connection: HTTP " + std::to_string(status) +
                    (reason.empty() ? "" : " \"" + reason + "\"");
  switch (status) {
    case 502:
    case 504:
      msg += " (a proxy in front of livekit-server answered: livekit-server behind it is down or unreachable; fix: "
             "start livekit-server, or correct the proxy's upstream address)";
      break;
    case 401: msg += " (fix: check the API key and secret, the token's expiry and the machine's clock)"; break;
    case 403: msg += " (fix: the token needs the roomJoin grant for this room)"; break;
    case 400: msg += " (fix: the token needs an identity and a room)"; break;
    case 404: msg += " (fix: create the room first, or check the URL's path)"; break;
    default: break;
  }
  return net::http_status_error(static_cast<int>(status), std::move(msg));
}

namespace {

// livekit-server answers a GET /rtc that is not a WebSocket upgrade with an empty 404: the
// Upgrade and Connection headers were sent, so a proxy in between dropped them (nginx without
// proxy_http_version 1.1 and proxy_set_header Upgrade/Connection).
Error refusal_error(const Url& url, const net::WsRefusal& r) {
  if (r.status == 404 && r.body.empty() && url.path.find("/rtc") != std::string::npos) {
    return Error(ErrorCode::kUnavailable,
                 "the server answered the WebSocket upgrade of " + url.authority() +
                     "/rtc with an empty 404, livekit-server's answer to a request without the upgrade "
                     "headers: a proxy in between dropped them (fix: in the proxy's location for /rtc: "
                     "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; "
                     "proxy_set_header Connection \"upgrade\")");
  }
  return http_upgrade_error(static_cast<unsigned>(r.status), r.body);
}

Error closed_error(const net::WsClose& c) {
  if (c.code != 0) {
    return Error(ErrorCode::kUnavailable,
                 "the server closed the signal connection (code " + std::to_string(c.code) + " " + c.reason + ")", true);
  }
  return Error(ErrorCode::kUnavailable, "signal connection lost: " + c.reason, true);
}

class SignalWs final : public WsTransport, public std::enable_shared_from_this<SignalWs> {
 public:
  SignalWs(AsioLoop& loop, WsOptions options) : loop_(loop), options_(std::move(options)) {}

  void open(const Url& url, OpenHandler on_open) override {
    net::WsRequest req;
    req.url = url;
    req.user_agent = "parley/0.1.0";
    if (!options_.bearer_token.empty()) req.headers["Authorization"] = "Bearer " + options_.bearer_token;
    req.connect_timeout = options_.connect_timeout;
    req.max_message_bytes = options_.max_message_bytes;
    req.max_queued_bytes = options_.max_queued_bytes;
    req.trust = tls::Trust{options_.ca_file};
    req.describe_refusal = [url](const net::WsRefusal& r) { return refusal_error(url, r); };
    std::weak_ptr<SignalWs> weak = shared_from_this();
    net::WsHandler h;
    h.on_open = [on_open = std::move(on_open)](Status s) {
      if (on_open) on_open(std::move(s));
    };
    h.on_message = [weak](std::string&& frame, bool binary) {
      if (auto self = weak.lock(); self && self->on_message_) self->on_message_(std::move(frame), binary);
    };
    h.on_closed = [weak](net::WsClose c) {
      auto self = weak.lock();
      if (!self) return;
      self->on_message_ = nullptr;
      if (auto done = std::move(self->on_closed_)) done(closed_error(c));
    };
    client_ = net::start_ws_client(loop_.io_context(), std::move(req), std::move(h));
  }

  Status send(std::string frame) override {
    if (!client_) return make_error(ErrorCode::kUnavailable, "the signal connection is not open", true);
    auto s = client_->send(std::move(frame), true);
    // A signal connection that cannot drain its queue is given up, not resumed into the same
    // backlog (the room's behaviour before the client was shared).
    if (!s && s.error().code == ErrorCode::kResourceExhausted) s.error().retryable = false;
    return s;
  }

  void close() override {
    on_message_ = nullptr;
    on_closed_ = nullptr;
    if (client_) client_->close();
  }

  void abort() override {
    on_message_ = nullptr;
    on_closed_ = nullptr;
    if (client_) client_->abort();
  }

  bool is_open() const override { return client_ && client_->is_open(); }

 private:
  AsioLoop& loop_;
  WsOptions options_;
  std::shared_ptr<net::WsClient> client_;
};

}  // namespace

std::shared_ptr<WsTransport> WsTransport::create(AsioLoop& loop, const Url&, WsOptions options) {
  return std::make_shared<SignalWs>(loop, std::move(options));
}

}  // namespace parley::livekit
