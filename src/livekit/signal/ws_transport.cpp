#include "livekit/signal/ws_transport.h"

#include <deque>
#include <regex>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "core/tls_client.h"

namespace parley::livekit {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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
      return Error(ErrorCode::kUnavailable,
                   msg + " (a proxy in front of livekit-server answered: livekit-server behind it is down or "
                         "unreachable; fix: start livekit-server, or correct the proxy's upstream address)",
                   true);
    case 401:
      return Error(ErrorCode::kUnauthenticated,
                   msg + " (fix: check the API key and secret, the token's expiry and the machine's clock)");
    case 403:
      return Error(ErrorCode::kPermissionDenied, msg + " (fix: the token needs the roomJoin grant for this room)");
    case 400:
      return Error(ErrorCode::kInvalidArgument, msg + " (fix: the token needs an identity and a room)");
    case 404:
      return Error(ErrorCode::kNotFound, msg + " (fix: create the room first, or check the URL's path)");
    case 429:
      return Error(ErrorCode::kResourceExhausted, msg, true);
    default:
      return Error(ErrorCode::kUnavailable, msg, status >= 500);
  }
}

namespace {

using PlainStream = ws::stream<beast::tcp_stream>;
using TlsStream = ws::stream<beast::ssl_stream<beast::tcp_stream>>;

Error net_error(std::string_view what, const beast::error_code& ec) {
  bool timeout = ec == beast::error::timeout;
  return Error(timeout ? ErrorCode::kTimeout : ErrorCode::kUnavailable, std::string(what) + ": " + ec.message(),
               true);
}

template <class Stream>
class WsConnection final : public WsTransport, public std::enable_shared_from_this<WsConnection<Stream>> {
 public:
  WsConnection(AsioLoop& loop, WsOptions options) : loop_(loop), options_(std::move(options)), resolver_(loop.io_context()) {}

  void open(const Url& url, OpenHandler on_open) override {
    url_ = url;
    on_open_ = std::move(on_open);
    if constexpr (kTls) {
      auto ctx = tls::client_context(tls::Trust{options_.ca_file});
      if (!ctx) return fail_open(ctx.error());
      ssl_ = *ctx;
      ws_ = std::make_unique<Stream>(loop_.io_context(), *ssl_);
      // SNI, so virtual hosts (LiveKit Cloud) present the right certificate; the host checked.
      if (auto prepared = tls::prepare_client(ws_->next_layer().native_handle(), url.host); !prepared) {
        return fail_open(prepared.error());
      }
    } else {
      ws_ = std::make_unique<Stream>(loop_.io_context());
    }
    ws_->read_message_max(options_.max_message_bytes);
    deadline_ = std::chrono::steady_clock::now() + options_.connect_timeout;
    auto self = this->shared_from_this();
    resolve_timer_ = loop_.post_after(options_.connect_timeout, [self] { self->resolver_.cancel(); });
    resolver_.async_resolve(url.host, std::to_string(url.port),
                            [self](beast::error_code ec, tcp::resolver::results_type results) {
                              self->resolve_timer_.cancel();
                              self->on_resolved(ec, std::move(results));
                            });
  }

  Status send(std::string frame) override {
    if (!open_ || closing_) return make_error(ErrorCode::kUnavailable, "the signal connection is not open", true);
    if (queued_bytes_ + frame.size() > options_.max_queued_bytes) {
      return make_error(ErrorCode::kResourceExhausted, "signal send queue is full (" +
                                                           std::to_string(queued_bytes_) + " bytes unsent)");
    }
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    if (queue_.size() == 1) write_next();
    return {};
  }

  void close() override {
    on_message_ = nullptr;
    on_closed_ = nullptr;
    on_open_ = nullptr;
    if (closing_ || !ws_) return;
    closing_ = true;
    if (!open_) return abort_socket();
    if (queue_.empty()) send_close();
    // else write_next() sends the close frame once the queue drains
  }

  void abort() override {
    on_message_ = nullptr;
    on_closed_ = nullptr;
    on_open_ = nullptr;
    closing_ = true;
    abort_socket();
  }

  bool is_open() const override { return open_ && !closing_; }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, PlainStream>;

  beast::tcp_stream& tcp_layer() {
    if constexpr (kTls) {
      return beast::get_lowest_layer(*ws_);
    } else {
      return ws_->next_layer();
    }
  }

  std::chrono::steady_clock::duration remaining() const {
    auto left = deadline_ - std::chrono::steady_clock::now();
    return left > std::chrono::steady_clock::duration::zero() ? left : std::chrono::milliseconds(1);
  }

  void on_resolved(beast::error_code ec, tcp::resolver::results_type results) {
    if (closing_) return;
    if (ec) {
      return fail_open(ec == asio::error::operation_aborted
                           ? Error(ErrorCode::kTimeout, "resolving " + url_.host + " timed out", true)
                           : net_error("cannot resolve " + url_.host, ec));
    }
    tcp_layer().expires_after(remaining());
    auto self = this->shared_from_this();
    tcp_layer().async_connect(results, [self](beast::error_code e, const tcp::endpoint&) { self->on_connected(e); });
  }

  void on_connected(beast::error_code ec) {
    if (closing_) return;
    if (ec) return fail_open(net_error("cannot connect to " + url_.authority(), ec));
    auto self = this->shared_from_this();
    if constexpr (kTls) {
      tcp_layer().expires_after(remaining());
      ws_->next_layer().async_handshake(asio::ssl::stream_base::client, [self](beast::error_code e) {
        if (self->closing_) return;
        // A TLS failure (certificate, plain server) is named and not retried; a lost connection is.
        if (e && e.category() == asio::error::get_ssl_category()) {
          return self->fail_open(Error(ErrorCode::kProtocol,
                                       tls::describe_handshake_failure(self->ws_->next_layer().native_handle(), e,
                                                                       self->url_.authority(), self->url_.host,
                                                                       tls::Trust{self->options_.ca_file})));
        }
        if (e) return self->fail_open(net_error("TLS handshake with " + self->url_.authority() + " failed", e));
        self->upgrade();
      });
    } else {
      upgrade();
    }
  }

  void upgrade() {
    tcp_layer().expires_never();
    ws::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::duration_cast<std::chrono::seconds>(remaining()) + std::chrono::seconds(1);
    t.idle_timeout = ws::stream_base::none();  // the signal client's own ping detects dead peers
    t.keep_alive_pings = false;
    ws_->set_option(t);
    std::string bearer = options_.bearer_token;
    ws_->set_option(ws::stream_base::decorator([bearer](ws::request_type& req) {
      req.set(http::field::user_agent, "parley/0.1.0");
      if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    }));
    ws_->binary(true);
    std::string host = url_.host;
    if (url_.port != (kTls ? 443 : 80)) host += ":" + std::to_string(url_.port);
    auto self = this->shared_from_this();
    ws_->async_handshake(response_, host, url_.path, [self](beast::error_code ec) { self->on_upgraded(ec); });
  }

  void on_upgraded(beast::error_code ec) {
    if (closing_) return;
    if (ec == ws::error::upgrade_declined ||
        (ec && response_.result_int() != 0 && response_.result() != http::status::switching_protocols)) {
      // livekit-server answers a GET /rtc that is not a WebSocket upgrade with an empty 404: the
      // Upgrade and Connection headers were sent, so a proxy in between dropped them (nginx
      // without proxy_http_version 1.1 and proxy_set_header Upgrade/Connection).
      if (response_.result_int() == 404 && response_.body().empty() && url_.path.find("/rtc") != std::string::npos) {
        return fail_open(Error(ErrorCode::kUnavailable,
                               "the server answered the WebSocket upgrade of " + url_.authority() +
                                   "/rtc with an empty 404, livekit-server's answer to a request without the upgrade "
                                   "headers: a proxy in between dropped them (fix: in the proxy's location for /rtc: "
                                   "proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; "
                                   "proxy_set_header Connection \"upgrade\")"));
      }
      if (tls::is_plain_request_to_tls_port(response_.result_int(), response_.body())) {
        return fail_open(Error(ErrorCode::kProtocol, tls::plain_request_to_tls_port_message(url_.authority())));
      }
      return fail_open(http_upgrade_error(response_.result_int(), response_.body()));
    }
    if (ec) return fail_open(net_error("WebSocket upgrade with " + url_.authority() + " failed", ec));
    response_ = {};
    open_ = true;
    if (auto h = std::move(on_open_)) h({});
    read_next();
  }

  void fail_open(Error e) {
    abort_socket();
    if (auto h = std::move(on_open_)) h(tl::unexpected(std::move(e)));
  }

  void read_next() {
    auto self = this->shared_from_this();
    ws_->async_read(buffer_, [self](beast::error_code ec, size_t) {
      if (self->closing_) return;
      if (ec) {
        std::string why = ec == ws::error::closed
                              ? "the server closed the signal connection (code " +
                                    std::to_string(self->ws_->reason().code) + " " +
                                    std::string(self->ws_->reason().reason.c_str()) + ")"
                              : "signal connection lost: " + ec.message();
        if (ec == ws::error::message_too_big) why = "the server sent a frame over the size limit";
        return self->lost(Error(ErrorCode::kUnavailable, why, true));
      }
      std::string frame = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      bool binary = self->ws_->got_binary();
      if (self->on_message_) self->on_message_(std::move(frame), binary);
      if (!self->closing_) self->read_next();
    });
  }

  void write_next() {
    auto self = this->shared_from_this();
    ws_->async_write(asio::buffer(queue_.front()), [self](beast::error_code ec, size_t) {
      self->queued_bytes_ -= self->queue_.front().size();
      self->queue_.pop_front();
      if (ec) {
        if (!self->closing_) self->lost(net_error("signal send failed", ec));
        return;
      }
      if (!self->queue_.empty()) return self->write_next();
      if (self->closing_ && self->open_) self->send_close();
    });
  }

  void send_close() {
    auto self = this->shared_from_this();
    // Bound the close handshake so a silent server cannot hold the socket.
    close_timer_ = loop_.post_after(std::chrono::seconds(2), [self] { self->abort_socket(); });
    ws_->async_close(ws::close_code::normal, [self](beast::error_code) {
      self->close_timer_.cancel();
      self->abort_socket();
    });
  }

  void lost(Error e) {
    closing_ = true;
    abort_socket();
    on_message_ = nullptr;
    if (auto h = std::move(on_closed_)) h(std::move(e));
  }

  void abort_socket() {
    open_ = false;
    resolver_.cancel();
    if (ws_) {
      beast::error_code ignored;
      tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp_layer().socket().close(ignored);
    }
  }

  AsioLoop& loop_;
  WsOptions options_;
  Url url_;
  tcp::resolver resolver_;
  std::shared_ptr<asio::ssl::context> ssl_;  // shared (core/tls_client)
  std::unique_ptr<Stream> ws_;
  ws::response_type response_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  OpenHandler on_open_;
  TimerHandle resolve_timer_, close_timer_;
  std::chrono::steady_clock::time_point deadline_;
  bool open_ = false;
  bool closing_ = false;
};

}  // namespace

std::shared_ptr<WsTransport> WsTransport::create(AsioLoop& loop, const Url& url, WsOptions options) {
  if (url.scheme == "wss") return std::make_shared<WsConnection<TlsStream>>(loop, std::move(options));
  return std::make_shared<WsConnection<PlainStream>>(loop, std::move(options));
}

}  // namespace parley::livekit
