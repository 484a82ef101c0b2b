#include "net/ws_client.h"

#include <cctype>
#include <deque>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/crypto.h>

#include "net/http_status.h"

namespace parley::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = beast::websocket;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using PlainStream = ws::stream<beast::tcp_stream>;
using TlsStream = ws::stream<beast::ssl_stream<beast::tcp_stream>>;

// `step` reads as the start of a sentence: "cannot connect to", "the WebSocket upgrade with".
Error net_error(std::string_view step, const beast::error_code& ec, const Url& url) {
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted) {
    return Error(ErrorCode::kTimeout, std::string(step) + " " + url.authority() + " timed out", true);
  }
  if (ec == asio::ssl::error::stream_truncated) {
    // The server hung up inside the TLS handshake: named as TLS, but a restarting server does
    // the same, so a retry stays allowed.
    return Error(ErrorCode::kProtocol,
                 "TLS with " + url.authority() + " failed: the server closed the connection during the handshake "
                 "(is it a ws:// server behind a wss:// URL?)", true);
  }
  return Error(ErrorCode::kUnavailable, std::string(step) + " " + url.authority() + ": " + ec.message(), true);
}

Error default_refusal(const Url& url, const WsRefusal& r) {
  std::string line = r.body.substr(0, r.body.find('\n'));
  if (line.size() > 200) line = line.substr(0, 200) + "…";
  return http_status_error(r.status, "the WebSocket server " + url.authority() + " refused the upgrade: HTTP " +
                                         std::to_string(r.status) + (line.empty() ? "" : " \"" + line + "\""));
}

template <class Stream>
class Client final : public WsClient, public std::enable_shared_from_this<Client<Stream>> {
 public:
  Client(asio::io_context& io, WsRequest req, WsHandler handler)
      : io_(io), req_(std::move(req)), handler_(std::move(handler)), resolver_(io), timer_(io) {}
  ~Client() override {
    for (auto& out : queue_) wipe(out);
  }

  void start() {
    if constexpr (kTls) {
      auto ctx = tls::client_context(req_.trust);
      if (!ctx) return fail_soon(ctx.error());
      ssl_ = *ctx;
      ws_ = std::make_unique<Stream>(io_, *ssl_);
      // SNI, so virtual hosts (LiveKit Cloud, a provider's CDN) present the right certificate.
      if (auto prepared = tls::prepare_client(ws_->next_layer().native_handle(), req_.url.host); !prepared) {
        return fail_soon(prepared.error());
      }
    } else {
      ws_ = std::make_unique<Stream>(io_);
    }
    ws_->read_message_max(req_.max_message_bytes);
    deadline_ = std::chrono::steady_clock::now() + req_.connect_timeout;
    auto self = this->shared_from_this();
    // The resolver has no deadline of its own: the timer cancels it.
    timer_.expires_after(req_.connect_timeout);
    timer_.async_wait([self](beast::error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(req_.url.host, std::to_string(req_.url.port),
                            [self](beast::error_code ec, tcp::resolver::results_type results) {
                              self->timer_.cancel();
                              self->on_resolved(ec, std::move(results));
                            });
  }

  Status send(std::string message, bool binary) override {
    if (!open_ || closing_) {
      Out dropped{std::move(message), binary};
      wipe(dropped);
      return make_error(ErrorCode::kUnavailable, "the WebSocket to " + req_.url.authority() + " is not open", true);
    }
    if (queued_bytes_ + message.size() > req_.max_queued_bytes) {
      Out dropped{std::move(message), binary};
      wipe(dropped);
      return make_error(ErrorCode::kResourceExhausted,
                        "the send queue to " + req_.url.authority() + " is full (" + std::to_string(queued_bytes_) +
                            " bytes unsent: the network is too slow)", true);
    }
    queued_bytes_ += message.size();
    queue_.push_back({std::move(message), binary});
    if (queue_.size() == 1) write_next();
    return {};
  }

  void close() override {
    handler_ = {};
    if (closing_ || !ws_) return;
    closing_ = true;
    if (!open_) return shut();
    if (queue_.empty()) send_close();
    // else write_next() sends the close frame once the queue drains
  }

  void abort() override {
    handler_ = {};
    closing_ = true;
    shut();
  }

  bool is_open() const override { return open_ && !closing_; }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, PlainStream>;
  struct Out {
    std::string data;
    bool binary;
  };

  void wipe(Out& out) const {
    if (out.binary && req_.wipe_binary) OPENSSL_cleanse(out.data.data(), out.data.size());
  }

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

  void on_resolved(beast::error_code ec, const tcp::resolver::results_type& results) {
    if (closing_) return;
    if (ec == asio::error::operation_aborted) return fail_open(net_error("resolving", ec, req_.url));
    if (ec) {
      return fail_open(Error(ErrorCode::kUnavailable, "cannot resolve " + req_.url.host + ": " + ec.message(), true));
    }
    tcp_layer().expires_after(remaining());
    auto self = this->shared_from_this();
    tcp_layer().async_connect(results, [self](beast::error_code e, const tcp::endpoint&) { self->on_connected(e); });
  }

  void on_connected(beast::error_code ec) {
    if (closing_) return;
    if (ec) return fail_open(net_error("cannot connect to", ec, req_.url));
    if constexpr (kTls) {
      tcp_layer().expires_after(remaining());
      auto self = this->shared_from_this();
      ws_->next_layer().async_handshake(asio::ssl::stream_base::client, [self](beast::error_code e) {
        if (self->closing_) return;
        // A TLS failure (certificate, plain server) is named with its fix and not retried.
        if (e && e.category() == asio::error::get_ssl_category()) {
          return self->fail_open(Error(ErrorCode::kProtocol,
                                       tls::describe_handshake_failure(self->ws_->next_layer().native_handle(), e,
                                                                       self->req_.url.authority(), self->req_.url.host,
                                                                       self->req_.trust)));
        }
        if (e) return self->fail_open(net_error("the TLS handshake with", e, self->req_.url));
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
    // Each caller's own messages (LiveKit's ping, a provider's keep-alive) detect a dead peer.
    t.idle_timeout = ws::stream_base::none();
    t.keep_alive_pings = false;
    ws_->set_option(t);
    ws_->set_option(ws::stream_base::decorator(
        [agent = req_.user_agent, headers = req_.headers](ws::request_type& r) {
          r.set(http::field::user_agent, agent);
          for (const auto& [k, v] : headers) r.set(k, v);
        }));
    std::string host = req_.url.host;
    if (req_.url.port != (kTls ? 443 : 80)) host += ":" + std::to_string(req_.url.port);
    auto self = this->shared_from_this();
    ws_->async_handshake(response_, host, req_.url.path.empty() ? "/" : req_.url.path,
                         [self](beast::error_code e) { self->on_upgraded(e); });
  }

  void on_upgraded(beast::error_code ec) {
    if (closing_) return;
    if (ec == ws::error::upgrade_declined ||
        (ec && response_.result_int() != 0 && response_.result() != http::status::switching_protocols)) {
      WsRefusal r;
      r.status = static_cast<int>(response_.result_int());
      for (const auto& f : response_) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(f.value());
      }
      r.body = response_.body().substr(0, 4096);
      if (tls::is_plain_request_to_tls_port(r.status, r.body)) {
        return fail_open(Error(ErrorCode::kProtocol, tls::plain_request_to_tls_port_message(req_.url.authority())));
      }
      return fail_open(req_.describe_refusal ? req_.describe_refusal(r) : default_refusal(req_.url, r));
    }
    if (ec) return fail_open(net_error("the WebSocket upgrade with", ec, req_.url));
    response_ = {};
    open_ = true;
    ws_->binary(true);
    if (auto h = handler_.on_open) h({});
    read_next();
  }

  // A failure before anything asynchronous started: reported from the loop, not from start().
  void fail_soon(Error e) {
    asio::post(io_, [self = this->shared_from_this(), e = std::move(e)]() mutable { self->fail_open(std::move(e)); });
  }

  void fail_open(Error e) {
    closing_ = true;
    shut();
    auto h = std::move(handler_.on_open);
    handler_ = {};
    if (h) h(tl::unexpected(std::move(e)));
  }

  void read_next() {
    if (closing_) return;
    auto self = this->shared_from_this();
    ws_->async_read(buffer_, [self](beast::error_code ec, size_t) {
      if (self->closing_) return;
      if (ec) {
        WsClose c;
        if (ec == ws::error::closed) {
          c.code = self->ws_->reason().code;
          c.reason = std::string(self->ws_->reason().reason.c_str());
          if (c.code == 0) c.reason = "the server sent a close frame without a code";
        } else if (ec == ws::error::message_too_big) {
          c.reason = "the server sent a message over " + std::to_string(self->req_.max_message_bytes) + " bytes";
        } else {
          c.reason = ec.message();
        }
        return self->lost(std::move(c));
      }
      std::string msg = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      bool binary = self->ws_->got_binary();
      if (self->handler_.on_message) self->handler_.on_message(std::move(msg), binary);
      self->read_next();
    });
  }

  void write_next() {
    auto self = this->shared_from_this();
    ws_->binary(queue_.front().binary);
    ws_->async_write(asio::buffer(queue_.front().data), [self](beast::error_code ec, size_t) {
      auto& sent = self->queue_.front();
      self->queued_bytes_ -= sent.data.size();
      self->wipe(sent);
      self->queue_.pop_front();
      if (ec) {
        if (!self->closing_) self->lost({0, "sending failed: " + ec.message()});
        return;
      }
      if (!self->queue_.empty()) return self->write_next();
      if (self->closing_ && self->open_) self->send_close();
    });
  }

  void send_close() {
    auto self = this->shared_from_this();
    // Bounded, so a silent server cannot hold the socket.
    timer_.expires_after(std::chrono::seconds(2));
    timer_.async_wait([self](beast::error_code ec) {
      if (!ec) self->shut();
    });
    ws_->async_close(ws::close_code::normal, [self](beast::error_code) {
      self->timer_.cancel();
      self->shut();
    });
  }

  void lost(WsClose c) {
    closing_ = true;
    shut();
    auto h = std::move(handler_.on_closed);
    handler_ = {};
    if (h) h(std::move(c));
  }

  void shut() {
    open_ = false;
    resolver_.cancel();
    timer_.cancel();  // nothing left to bound; the timer must not keep this client alive
    if (ws_) {
      beast::error_code ignored;
      tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp_layer().socket().close(ignored);
    }
  }

  asio::io_context& io_;
  WsRequest req_;
  WsHandler handler_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;                 // the resolve deadline, then the close handshake's
  std::shared_ptr<asio::ssl::context> ssl_;  // shared (core/tls_client)
  std::unique_ptr<Stream> ws_;
  ws::response_type response_;
  beast::flat_buffer buffer_;
  std::deque<Out> queue_;
  size_t queued_bytes_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  bool open_ = false;
  bool closing_ = false;
};

template <class Stream>
std::shared_ptr<WsClient> start(asio::io_context& io, WsRequest request, WsHandler handler) {
  auto c = std::make_shared<Client<Stream>>(io, std::move(request), std::move(handler));
  c->start();
  return c;
}

}  // namespace

std::shared_ptr<WsClient> start_ws_client(asio::io_context& io, WsRequest request, WsHandler handler) {
  if (request.url.secure()) return start<TlsStream>(io, std::move(request), std::move(handler));
  return start<PlainStream>(io, std::move(request), std::move(handler));
}

}  // namespace parley::net
