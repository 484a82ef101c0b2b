#include "service/http_server.h"

#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>

#include "core/log.h"
#include "core/metrics.h"
#include "service/connection_limits.h"
#include "service/handler_gate.h"
#include "service/log_throttle.h"

namespace parley::service {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

class Connection;

metrics::GaugeFamily& open_family() {
  static auto& f = metrics::registry().gauge("parley_http_connections_open", "open HTTP connections, by listener",
                                             {"listener"});
  return f;
}
metrics::CounterFamily& refused_family() {
  static auto& f = metrics::registry().counter(
      "parley_http_connections_refused_total",
      "HTTP connections closed at accept because a cap was reached (address_cap: the client address's own; "
      "server_cap: all connections'), by listener and reason",
      {"listener", "reason"});
  return f;
}
metrics::CounterFamily& accept_errors_family() {
  static auto& f = metrics::registry().counter(
      "parley_http_accept_errors_total", "accept() failures (each followed by a pause), by listener and error",
      {"listener", "error"});
  return f;
}

std::string accept_error_label(const beast::error_code& ec) {
  if (ec == asio::error::no_descriptors) return "too_many_open_files";
  if (ec.category() == asio::error::get_system_category() && ec.value() == ENFILE) return "system_file_table_full";
  if (ec == asio::error::no_buffer_space || ec == asio::error::no_memory) return "out_of_memory";
  return "other";
}

// The first pause after accept failed; each further failure in a row doubles it.
constexpr Millis kFirstAcceptBackoff{10};
// How often the same kind of trouble is logged at most.
constexpr Millis kLogInterval{10'000};

}  // namespace

struct HttpServer::Shared {
  Shared(std::vector<AsioLoop*> l, HttpServerOptions o)
      : loops(std::move(l)),
        options(std::move(o)),
        limits(options.max_connections, options.max_connections_per_address),
        open_gauge(open_family().with({options.name})) {}

  const std::vector<AsioLoop*> loops;
  const HttpServerOptions options;
  HttpHandler handler;
  HttpRefusalHook refused;
  HttpHeaderCheck check;
  HttpStreamHandler stream;
  HandlerGate gate;  // every call of handler, refused and check passes it
  ConnectionLimits limits;
  metrics::Gauge& open_gauge;
  LogThrottle accept_log{kLogInterval};
  LogThrottle refuse_log{kLogInterval};
  std::atomic<bool> stopping{false};
  std::atomic<size_t> next_loop{0};

  // The first loop only.
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> backoff_timer;
  Millis backoff{0};

  // Open connections, so stop() can close them and wait for them to be gone.
  std::mutex mutex;
  std::condition_variable cv;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> live;
  uint64_t next_id = 0;
  bool acceptor_closed = false;
};

namespace {

// How long and how much a refused request's remaining body is read and thrown away before the
// connection closes: closing with unread data makes the kernel send RST, and the client would
// then lose our 413 before reading it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 64 << 20;

// The writing end of a connection's stream: queues on the connection's loop, counts what is
// unsent, and cuts a reader that falls too far behind (the console must not buffer without end
// for a stalled browser).
class StreamWriter final : public HttpStream {
 public:
  StreamWriter(std::weak_ptr<Connection> conn, asio::any_io_executor executor, size_t max_backlog)
      : conn_(std::move(conn)), executor_(std::move(executor)), max_backlog_(max_backlog) {}
  bool send(std::string bytes) override;
  void close() override;
  bool closed() const override {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  // The connection's loop: n bytes were written; the connection closed.
  void written(size_t n) {
    std::lock_guard lock(mutex_);
    backlog_ -= std::min(backlog_, n);
  }
  void queued(size_t n) {
    std::lock_guard lock(mutex_);
    backlog_ += n;
  }
  void mark_closed() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

 private:
  std::weak_ptr<Connection> conn_;
  asio::any_io_executor executor_;
  const size_t max_backlog_;
  mutable std::mutex mutex_;
  bool closed_ = false;
  size_t backlog_ = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<HttpServer::Shared> shared, std::string remote)
      : stream_(std::move(socket)), shared_(std::move(shared)), remote_(std::move(remote)) {
    shared_->open_gauge.inc();
  }
  ~Connection() {
    shared_->limits.close(remote_);
    shared_->open_gauge.dec();
    std::lock_guard lock(shared_->mutex);
    shared_->live.erase(id_);
    shared_->cv.notify_all();
  }

  void run() {
    {
      std::lock_guard lock(shared_->mutex);
      id_ = shared_->next_id++;
      shared_->live.emplace(id_, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // From stop(): close now, unless a response is being written (it closes after that).
  void stop() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->writing_ || self->writer_) self->close();
    });
  }

  // The stream's loop: a stream whose client fell behind is closed at once.
  void stream_abort() { close(); }

  // The stream's loop: queue a chunk of an open stream.
  void stream_chunk(std::string bytes, bool close_after) {
    if (!writer_ || closed_) return;
    if (close_after) close_after_stream_ = true;
    if (!bytes.empty()) chunks_.push_back(std::move(bytes));
    if (!writing_) write_chunk();
  }

 private:
  void read_header() {
    if (shared_->stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    // One deadline for the whole request, headers and body: a client trickling a byte at a
    // time (slowloris) is cut off when it passes, however busy it keeps the socket.
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
    if (shared_->check) {
      std::optional<HttpResponse> early;
      if (!shared_->gate.pass([&] { early = shared_->check(req, remote_); })) return close();
      if (early) {
        early->keep_alive(false);
        return write(std::move(*early), true, true);
      }
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
    // A request complete only after stop() began is not handled: its connection is closing.
    if (shared_->stopping) return close();
    HttpRequest req = parser_->release();
    if (shared_->stream) {
      std::optional<HttpStreamStart> start;
      bool ran = shared_->gate.pass([&] {
        try {
          start = shared_->stream(req, remote_);
        } catch (const std::exception& e) {
          log::root().error("HTTP stream handler threw", {{"target", target_}, {"error", e.what()}});
        }
      });
      if (!ran) return close();
      if (start) return open_stream(std::move(*start));
    }
    HttpResponse res;
    bool ran = shared_->gate.pass([&] {
      try {
        res = shared_->handler(req, remote_);
      } catch (const std::exception& e) {
        log::root().error("HTTP handler threw", {{"target", target_}, {"error", e.what()}});
        res = make_response(500, "internal error\n", &req);
      }
    });
    if (!ran) return close();  // the server stopped while the body was read
    bool keep = req.keep_alive() && res.keep_alive() && !shared_->stopping;
    res.keep_alive(keep);
    write(std::move(res), !keep, false);
  }

  // Writes the head, then whatever the stream's owner sends. The body ends when the connection
  // closes (no length, no chunking: what EventSource expects). A read stays pending only to
  // notice the client leaving; a stream's client sends nothing more.
  void open_stream(HttpStreamStart start) {
    start.head.keep_alive(false);
    start.head.body().clear();
    start.head.erase(http::field::content_length);
    std::ostringstream head;
    head << start.head.base();
    writer_ = std::make_shared<StreamWriter>(weak_from_this(), stream_.get_executor(),
                                             shared_->options.max_stream_backlog_bytes);
    stream_.expires_never();
    chunks_.push_back(head.str());
    writer_->queued(chunks_.back().size());
    write_chunk();
    watch_stream_close();
    if (start.opened) shared_->gate.pass([&] { start.opened(writer_); });
  }

  void watch_stream_close() {
    stream_.socket().async_read_some(asio::buffer(discard_buf_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->watch_stream_close();  // whatever the client sends is ignored
    });
  }

  void write_chunk() {
    if (chunks_.empty()) {
      if (close_after_stream_) close();
      return;
    }
    writing_ = true;
    stream_.expires_after(shared_->options.write_timeout);
    asio::async_write(stream_, asio::buffer(chunks_.front()), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->writing_ = false;
      self->stream_.expires_never();
      // closed_: the client left (or was cut) while this chunk was being written.
      if (ec || self->closed_ || self->shared_->stopping) return self->close();
      self->writer_->written(n);
      self->chunks_.pop_front();
      self->write_chunk();
    });
  }

  void refuse(unsigned status, const std::string& why) {
    log::root().info("HTTP request refused", {{"status", status}, {"remote", remote_}, {"target", target_},
                                              {"listener", shared_->options.name}, {"why", why}});
    if (shared_->refused) shared_->gate.pass([&] { shared_->refused(status, target_, remote_); });
    auto res = make_response(status, why + "\n");
    res.keep_alive(false);
    write(std::move(res), true, true);
  }

  void write(HttpResponse res, bool close_after, bool linger) {
    res_ = std::move(res);
    res_.prepare_payload();
    writing_ = true;
    stream_.expires_after(shared_->options.write_timeout);
    http::async_write(stream_, res_, [self = shared_from_this(), close_after, linger](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec || self->shared_->stopping) return self->close();
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
    closed_ = true;
    if (writer_) writer_->mark_closed();
    if (!writing_) chunks_.clear();  // a chunk being written stays until its write completes
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpServer::Shared> shared_;
  std::string remote_;
  uint64_t id_ = 0;
  bool writing_ = false;  // the connection's loop only
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpResponse res_;
  std::string target_;
  std::array<char, 16384> discard_buf_{};
  size_t discarded_ = 0;
  // An open stream (the connection's loop only).
  std::shared_ptr<StreamWriter> writer_;
  std::deque<std::string> chunks_;
  bool close_after_stream_ = false;
  bool closed_ = false;
};

bool StreamWriter::send(std::string bytes) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    backlog_ += bytes.size();
    if (backlog_ > max_backlog_) closed_ = true;  // fell behind: cut, below
  }
  bool cut = closed();
  asio::post(executor_, [weak = conn_, bytes = std::move(bytes), cut]() mutable {
    auto conn = weak.lock();
    if (!conn) return;
    if (cut) {
      log::root().info("HTTP stream closed: the client fell too far behind");
      return conn->stream_abort();
    }
    conn->stream_chunk(std::move(bytes), false);
  });
  return !cut;
}

void StreamWriter::close() {
  asio::post(executor_, [weak = conn_] {
    if (auto conn = weak.lock()) conn->stream_chunk("", true);
  });
}

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

// A connection that passes the caps becomes a Connection; one that does not is closed at once.
void admit(const std::shared_ptr<HttpServer::Shared>& s, tcp::socket socket) {
  beast::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  std::string remote = ec ? "unknown" : ep.address().to_string();
  auto verdict = s->limits.try_open(remote);
  if (verdict == ConnectionLimits::Verdict::kAdmitted) {
    std::make_shared<Connection>(std::move(socket), s, std::move(remote))->run();
    return;
  }
  refused_family().with({s->options.name, to_string(verdict)}).inc();  // counted before the client can see it
  socket.close(ec);
  if (auto held = s->refuse_log.allow()) {
    bool address = verdict == ConnectionLimits::Verdict::kAddressFull;
    log::root().warn(address ? "HTTP connection refused: too many open connections from this address"
                             : "HTTP connection refused: too many open connections",
                     {{"remote", remote},
                      {"listener", s->options.name},
                      {"open_from_address", s->limits.open_from(remote)},
                      {"open", s->limits.open()},
                      {"max_connections_per_address", s->options.max_connections_per_address},
                      {"max_connections", s->options.max_connections},
                      {"refusals_not_logged", *held}});
  }
}

void accept_next(const std::shared_ptr<HttpServer::Shared>& s);

// accept() failing again at once would spin the loop (a full descriptor table stays full, and
// the connection waiting in the backlog keeps the acceptor readable): pause, doubling the pause
// while it keeps failing.
void accept_failed(const std::shared_ptr<HttpServer::Shared>& s, const beast::error_code& ec) {
  s->backoff = s->backoff.count() == 0 ? kFirstAcceptBackoff : std::min(s->backoff * 2, s->options.accept_backoff_max);
  accept_errors_family().with({s->options.name, accept_error_label(ec)}).inc();
  if (auto held = s->accept_log.allow()) {
    log::root().warn("HTTP accept failed; pausing before accepting again",
                     {{"error", ec.message()},
                      {"listener", s->options.name},
                      {"pause_ms", s->backoff.count()},
                      {"open_connections", s->limits.open()},
                      {"failures_not_logged", *held},
                      {"fix", "raise the open-file limit (ulimit -n) or lower server.max_connections"}});
  }
  s->backoff_timer->expires_after(s->backoff);
  s->backoff_timer->async_wait([s](beast::error_code wec) {
    if (!wec) accept_next(s);
  });
}

void accept_next(const std::shared_ptr<HttpServer::Shared>& s) {
  if (s->stopping || !s->acceptor || !s->acceptor->is_open()) return;
  AsioLoop* loop = s->loops[s->next_loop++ % s->loops.size()];
  s->acceptor->async_accept(loop->io_context(), [s](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || s->stopping) return;
    if (ec) return accept_failed(s, ec);
    s->backoff = Millis(0);
    admit(s, std::move(socket));
    accept_next(s);
  });
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
                       HttpRefusalHook refused, HttpHeaderCheck header_check)
    : shared_(std::make_shared<Shared>(std::move(loops), std::move(options))) {
  shared_->handler = std::move(handler);
  shared_->refused = std::move(refused);
  shared_->check = std::move(header_check);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::set_stream_handler(HttpStreamHandler handler) { shared_->stream = std::move(handler); }

size_t HttpServer::open_connections() const { return shared_->limits.open(); }

Result<uint16_t> HttpServer::start() {
  const auto& s = shared_;
  if (s->loops.empty()) return make_error(ErrorCode::kInvalidArgument, "HTTP server needs at least one event loop");
  auto& io = s->loops.front()->io_context();
  auto endpoint = resolve_listen(io, s->options.listen);
  if (!endpoint) return tl::unexpected(endpoint.error());
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  beast::error_code ec;
  acceptor->open(endpoint->protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(*endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorCode::kUnavailable, "cannot listen on " + s->options.listen + ": " + ec.message() +
                                                   " (fix: free the port or choose another listen address)");
  }
  port_ = acceptor->local_endpoint().port();
  s->acceptor = std::move(acceptor);
  s->backoff_timer = std::make_unique<asio::steady_timer>(io);
  started_ = true;
  asio::post(io, [s] { accept_next(s); });
  return port_;
}

void HttpServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  const auto s = shared_;
  s->stopping = true;
  if (started_) {
    asio::post(s->loops.front()->io_context(), [s] {
      beast::error_code ec;
      s->acceptor->close(ec);
      s->backoff_timer->cancel();
      std::lock_guard lock(s->mutex);
      s->acceptor_closed = true;
      s->cv.notify_all();
    });
    std::vector<std::shared_ptr<Connection>> open;
    {
      std::lock_guard lock(s->mutex);
      for (auto& [id, weak] : s->live) {
        if (auto c = weak.lock()) open.push_back(std::move(c));
      }
    }
    for (auto& c : open) c->stop();
    open.clear();  // a reference held here would keep its connection in `live`
    // Connections close at once but for a response being written, which gets its write deadline.
    auto deadline = std::chrono::steady_clock::now() + s->options.write_timeout + std::chrono::seconds(2);
    std::unique_lock lock(s->mutex);
    while (!(s->acceptor_closed && s->live.empty())) {
      // A loop that stopped runs nothing more: what it holds cannot finish, and cannot reach us
      // past the gate either.
      bool loop_stopped = false;
      for (auto* loop : s->loops) loop_stopped = loop_stopped || loop->stopped();
      if (loop_stopped || std::chrono::steady_clock::now() >= deadline) {
        log::root().warn("HTTP server stopping with connections still open; they can no longer reach the server",
                         {{"listener", s->options.name}, {"open", s->live.size()}, {"loop_stopped", loop_stopped}});
        break;
      }
      s->cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  }
  s->gate.close();
}

}  // namespace parley::service
