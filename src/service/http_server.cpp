#include "service/http_server.h"

#include <future>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>

#include "core/log.h"

namespace parley::service {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HttpServer::Shared {
  HttpServerOptions options;
  HttpHandler handler;
  HttpRefusalHook refused;
  std::atomic<size_t> connections{0};
  std::atomic<bool> stopping{false};
};

namespace {

// How long and how much a refused request's remaining body is read and thrown away before the
// connection closes: closing with unread data makes the kernel send RST, and the client would
// then lose our 413 before reading it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 64 << 20;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<HttpServer::Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? "unknown" : ep.address().to_string();
  }
  ~Connection() { shared_->connections.fetch_sub(1); }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

 private:
  void read_header() {
    if (shared_->stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (parser_->is_header_done()) target_ = std::string(parser_->get().target());
    if (ec == http::error::header_limit) return refuse(431, "request headers too large");
    // Beast checks Content-Length against the body limit as soon as the header is parsed.
    if (ec == http::error::body_limit) {
      return refuse(413, "request body over the limit of " + std::to_string(shared_->options.max_body_bytes) + " bytes");
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return close();
    }
    if (ec) return refuse(400, "malformed HTTP request");
    const auto& req = parser_->get();
    if (auto len = parser_->content_length(); len && *len > shared_->options.max_body_bytes) {
      return refuse(413, "request body of " + std::to_string(*len) + " bytes is over the limit of " +
                             std::to_string(shared_->options.max_body_bytes));
    }
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, size_t) {
        if (wec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return refuse(413, "request body over the limit of " + std::to_string(shared_->options.max_body_bytes));
    }
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted || ec == http::error::partial_message) {
      return close();
    }
    if (ec) return refuse(400, "malformed HTTP request");
    HttpRequest req = parser_->release();
    HttpResponse res;
    try {
      res = shared_->handler(req, remote_);
    } catch (const std::exception& e) {
      log::root().error("HTTP handler threw", {{"target", target_}, {"error", e.what()}});
      res = make_response(500, "internal error\n", &req);
    }
    bool keep = req.keep_alive() && res.keep_alive() && !shared_->stopping;
    res.keep_alive(keep);
    write(std::move(res), !keep, false);
  }

  void refuse(unsigned status, const std::string& why) {
    log::root().info("HTTP request refused", {{"status", status}, {"remote", remote_}, {"target", target_}, {"why", why}});
    if (shared_->refused) shared_->refused(status, target_, remote_);
    auto res = make_response(status, why + "\n");
    res.keep_alive(false);
    write(std::move(res), true, true);
  }

  void write(HttpResponse res, bool close_after, bool linger) {
    res_ = std::move(res);
    res_.prepare_payload();
    stream_.expires_after(shared_->options.write_timeout);
    http::async_write(stream_, res_, [self = shared_from_this(), close_after, linger](beast::error_code ec, size_t) {
      if (ec) return self->close();
      if (linger) return self->linger();
      if (close_after) return self->close();
      self->read_header();
    });
  }

  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    stream_.expires_after(kLingerTime);
    discard();
  }

  void discard() {
    stream_.async_read_some(asio::buffer(discard_buf_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->discarded_ += n;
      if (ec || self->discarded_ > kLingerBytes) return self->close();
      self->discard();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpServer::Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpResponse res_;
  std::string remote_;
  std::string target_;
  std::array<char, 16384> discard_buf_{};
  size_t discarded_ = 0;
};

Result<tcp::endpoint> resolve_listen(asio::io_context& io, const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return make_error(ErrorCode::kInvalidArgument, "'" + listen + "' is not host:port");
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "cannot resolve listen address '" + listen + "': " + ec.message());
  }
  return results.begin()->endpoint();
}

}  // namespace

HttpResponse make_response(unsigned status, std::string body, const HttpRequest* request, std::string content_type) {
  HttpResponse res{static_cast<http::status>(status), request ? request->version() : 11};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.keep_alive(request ? request->keep_alive() : false);
  res.prepare_payload();
  return res;
}

HttpServer::HttpServer(std::vector<AsioLoop*> loops, HttpServerOptions options, HttpHandler handler,
                       HttpRefusalHook refused)
    : loops_(std::move(loops)), shared_(std::make_shared<Shared>()) {
  shared_->options = std::move(options);
  shared_->handler = std::move(handler);
  shared_->refused = std::move(refused);
}

HttpServer::~HttpServer() { stop(); }

Result<uint16_t> HttpServer::start() {
  if (loops_.empty()) return make_error(ErrorCode::kInvalidArgument, "HTTP server needs at least one event loop");
  auto& io = loops_.front()->io_context();
  auto endpoint = resolve_listen(io, shared_->options.listen);
  if (!endpoint) return tl::unexpected(endpoint.error());
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  beast::error_code ec;
  acceptor->open(endpoint->protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(*endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorCode::kUnavailable, "cannot listen on " + shared_->options.listen + ": " + ec.message() +
                                                   " (fix: free the port or set webhook.listen)");
  }
  port_ = acceptor->local_endpoint().port();
  acceptor_ = std::move(acceptor);
  asio::post(io, [this] { accept(); });
  return port_;
}

void HttpServer::accept() {
  if (!acceptor_ || !acceptor_->is_open()) return;
  AsioLoop* loop = loops_[next_loop_++ % loops_.size()];
  acceptor_->async_accept(loop->io_context(), [this, shared = shared_](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || shared->stopping) return;
    if (!ec) {
      if (shared->connections.fetch_add(1) >= shared->options.max_connections) {
        shared->connections.fetch_sub(1);
        beast::error_code ignored;
        socket.close(ignored);
        log::root().warn("HTTP connection refused: too many open connections",
                         {{"max_connections", shared->options.max_connections}});
      } else {
        std::make_shared<Connection>(std::move(socket), shared)->run();
      }
    } else {
      log::root().warn("HTTP accept failed", {{"error", ec.message()}});
    }
    accept();
  });
}

void HttpServer::stop() {
  if (!acceptor_) return;
  shared_->stopping = true;
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  asio::post(loops_.front()->io_context(), [this, done] {
    beast::error_code ec;
    acceptor_->close(ec);
    done->set_value();
  });
  // If the loop no longer runs, nothing can use the acceptor any more.
  if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    log::root().warn("HTTP server: event loop did not answer while stopping");
  }
  acceptor_.reset();
}

}  // namespace parley::service
