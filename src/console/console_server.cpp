#include "console/console_server.h"

#include <future>

#include <boost/asio/post.hpp>

#include "console/operator_auth.h"
#include "console/playground_token.h"
#include "console/security_headers.h"
#include "core/log.h"

namespace parley::console {

namespace http = boost::beast::http;
using service::HttpRequest;
using service::HttpResponse;

namespace {

constexpr auto kHeartbeat = std::chrono::seconds(15);
const char* kJson = "application/json";

// ws://host:port → "ws://host:port http://host:port" (livekit-client also asks over HTTP).
std::string livekit_origins(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "";
  auto scheme = url.substr(0, scheme_end);
  auto rest = url.substr(scheme_end + 3);
  auto slash = rest.find('/');
  auto host = rest.substr(0, slash);
  bool tls = scheme == "wss" || scheme == "https";
  return std::string(tls ? "wss://" : "ws://") + host + " " + (tls ? "https://" : "http://") + host;
}

}  // namespace

ConsoleServer::ConsoleServer(AsioLoop& loop, std::shared_ptr<service::ConfigSnapshot> config,
                             std::shared_ptr<CallBoard> board, ConsoleAssets assets)
    : loop_(loop), config_(std::move(config)), board_(std::move(board)), assets_(std::move(assets)) {
  auto c = config_->get();
  base_ = c->console.path;
  if (base_.empty() || base_.back() != '/') base_ += '/';
  token_ = c->console.token;
  listen_ = c->console.listen;
  connect_src_ = livekit_origins(browser_livekit_url(*c));
}

ConsoleServer::~ConsoleServer() { stop(); }

Result<uint16_t> ConsoleServer::start() {
  service::HttpServerOptions o;
  o.listen = listen_;
  o.name = "console";
  o.max_body_bytes = 4096;  // nothing the console takes has a body worth more
  o.max_connections = 128;
  o.max_connections_per_address = 64;
  http_ = std::make_unique<service::HttpServer>(
      std::vector<AsioLoop*>{&loop_}, o, [this](const HttpRequest& r, const std::string&) { return handle(r); });
  http_->set_stream_handler([this](const HttpRequest& r, const std::string&) { return open_stream(r); });
  auto port = http_->start();
  if (!port) return port;
  boost::asio::post(loop_.io_context(), [this, weak = std::weak_ptr<int>(alive_)] {
    if (weak.lock()) arm_heartbeat();
  });
  log::root().info("console listening", {{"listen", listen_}, {"port", *port}, {"path", base_}});
  return port;
}

void ConsoleServer::stop() {
  if (!http_) return;
  http_->stop();
  // The timer lives on the loop: cancel and free it there, and wait, so no handler runs after.
  if (!loop_.stopped()) {
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    boost::asio::post(loop_.io_context(), [this, done] {
      if (heartbeat_) heartbeat_->cancel();
      heartbeat_.reset();
      alive_.reset();
      done->set_value();
    });
    future.wait_for(std::chrono::seconds(5));
  }
  http_.reset();
}

void ConsoleServer::arm_heartbeat() {
  if (!heartbeat_) heartbeat_ = std::make_unique<boost::asio::steady_timer>(loop_.io_context());
  heartbeat_->expires_after(kHeartbeat);
  heartbeat_->async_wait([this, weak = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (ec || !weak.lock()) return;
    board_->heartbeat();
    arm_heartbeat();
  });
}

HttpResponse ConsoleServer::reply(unsigned status, std::string body, const HttpRequest& request,
                                  const std::string& content_type) const {
  auto res = service::make_response(status, std::move(body), &request, content_type);
  add_security_headers(res, connect_src_);
  return res;
}

std::optional<HttpResponse> ConsoleServer::refuse(const HttpRequest& request) const {
  if (!same_origin(request)) return reply(403, "cross-origin requests are refused\n", request, "text/plain; charset=utf-8");
  auto authorization = request[http::field::authorization];
  if (!operator_authorized(std::string_view(authorization.data(), authorization.size()), token_)) {
    auto res = reply(401, "unauthorized\n", request, "text/plain; charset=utf-8");
    res.set(http::field::www_authenticate, "Basic realm=\"parley console\", charset=\"UTF-8\"");
    return res;
  }
  return std::nullopt;
}

std::optional<std::string> ConsoleServer::route_of(const HttpRequest& request) const {
  std::string target(request.target());
  auto q = target.find('?');
  if (q != std::string::npos) target.resize(q);
  if (target.compare(0, base_.size(), base_) != 0) return std::nullopt;
  return target.substr(base_.size());
}

std::optional<service::HttpStreamStart> ConsoleServer::open_stream(const HttpRequest& request) {
  auto route = route_of(request);
  if (!route || *route != "api/events" || request.method() != http::verb::get) return std::nullopt;
  if (refuse(request)) return std::nullopt;  // handle() gives the refusal
  service::HttpStreamStart start;
  start.head = reply(200, "", request, "text/event-stream; charset=utf-8");
  start.opened = [board = board_](std::shared_ptr<service::HttpStream> stream) {
    if (!board->watch(stream)) {
      stream->send(": too many viewers\n\n");
      stream->close();
    }
  };
  return start;
}

HttpResponse ConsoleServer::handle(const HttpRequest& request) {
  if (auto refused = refuse(request)) return std::move(*refused);
  auto route = route_of(request);
  if (!route) {
    // console.path without its slash: the page's relative links need the slash.
    std::string target(request.target());
    if (target + "/" == base_) {
      auto res = reply(308, "", request, "text/plain; charset=utf-8");
      res.set(http::field::location, base_);
      return res;
    }
    return reply(404, "not found\n", request, "text/plain; charset=utf-8");
  }
  const auto& r = *route;
  const bool get = request.method() == http::verb::get;
  if (r == "api/playground") {
    if (request.method() != http::verb::post) return reply(405, "use POST\n", request, "text/plain; charset=utf-8");
    auto config = config_->get();
    PlaygroundLimits limits;
    limits.per_minute = config->console.playground_per_minute;
    limits.max_rooms = config->console.playground_rooms;
    const auto now = PlaygroundLimiter::Clock::now();
    if (auto refused = playground_limiter_.check(limits, now, board_->live_rooms(kPlaygroundRoomPrefix))) {
      log::root().warn("playground room refused", {{"reason", refused->message}});
      auto res = reply(429, refused->message + "\n", request, "text/plain; charset=utf-8");
      res.set(http::field::retry_after, std::to_string(refused->retry_after));
      return res;
    }
    auto ticket = mint_playground_ticket(*config);
    if (!ticket) {
      log::root().error("cannot mint a playground token", {{"error", ticket.error().message}});
      return reply(500, "cannot mint a token; see the log\n", request, "text/plain; charset=utf-8");
    }
    playground_limiter_.opened(ticket->room, now);
    log::root().info("playground room opened", {{"room", ticket->room}, {"identity", ticket->identity}});
    return reply(200, ticket->to_json().dump(), request, kJson);
  }
  if (!get) return reply(405, "use GET\n", request, "text/plain; charset=utf-8");
  if (r.empty() || r == "index.html") {
    const auto* page = assets_.find("index.html");
    return reply(200, page->body, request, page->content_type);
  }
  if (r.rfind("assets/", 0) == 0) {
    const auto* a = assets_.find(r.substr(7));
    if (!a || r.find('/', 7) != std::string::npos) return reply(404, "not found\n", request, "text/plain; charset=utf-8");
    return reply(200, a->body, request, a->content_type);
  }
  if (r == "api/calls") return reply(200, board_->calls_json().dump(), request, kJson);
  if (r.rfind("api/calls/", 0) == 0) {
    auto call = board_->call_json(r.substr(10));
    if (!call) return reply(404, "{\"error\":\"no such call\"}", request, kJson);
    return reply(200, call->dump(), request, kJson);
  }
  if (r == "api/history") return reply(200, board_->history_json().dump(), request, kJson);
  if (r == "api/events") return reply(400, "open this with EventSource\n", request, "text/plain; charset=utf-8");
  return reply(404, "not found\n", request, "text/plain; charset=utf-8");
}

}  // namespace parley::console
