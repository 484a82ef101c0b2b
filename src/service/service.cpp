#include "service/service.h"

#include <csignal>
#include <future>

#include <boost/asio/signal_set.hpp>

#include "core/log.h"
#include "core/metrics.h"

namespace parley::service {
namespace {

namespace http = boost::beast::http;

std::string_view sv(boost::beast::string_view v) { return {v.data(), v.size()}; }

metrics::CounterFamily& reloads() {
  static auto& f = metrics::registry().counter("parley_config_reloads_total", "configuration reloads, by result",
                                               {"result"});
  return f;
}

}  // namespace

Service::Service(ServiceOptions options) : options_(std::move(options)) {
  config_ = std::make_shared<const Config>(options_.config);
  webhook_path_ = config_->webhook.path;
  pool_ = std::make_unique<LoopPool>(options_.media_loops, options_.io_loops);
  if (!options_.factory && options_.make_factory) options_.factory = options_.make_factory(*pool_);
  if (!options_.factory) options_.factory = std::make_shared<LoggingCallSessionFactory>();
  control_loop_ = &pool_->next_io();
  admission_ = std::make_unique<CallAdmission>(*control_loop_, config_, options_.factory);
  webhook_ = std::make_unique<WebhookEndpoint>(config_, *admission_);
  health_ = std::make_unique<LiveKitHealthCheck>(*control_loop_, config_->livekit.url,
                                                 config_->livekit.health_check_interval,
                                                 std::min(config_->livekit.request_timeout, Millis(10'000)));
}

Service::~Service() {
  if (http_) http_->stop();
  if (signals_) {
    std::promise<void> done;
    control_loop_->post([&] {
      boost::system::error_code ec;
      signals_->cancel(ec);
      signals_.reset();
      done.set_value();
    });
    done.get_future().wait();
  }
  health_->stop();
  admission_->shutdown();
  pool_->stop();  // joins every loop thread; what they still held is released below
  http_.reset();
  health_.reset();
  webhook_.reset();
  admission_.reset();
}

Result<uint16_t> Service::start() {
  HttpServerOptions http_options = options_.http;
  http_options.listen = config_->webhook.listen;
  http_options.max_body_bytes = config_->webhook.max_body_bytes;
  std::vector<AsioLoop*> loops;
  for (size_t i = 0; i < pool_->io_count(); ++i) loops.push_back(&pool_->next_io());
  http_ = std::make_unique<HttpServer>(
      loops, http_options, [this](const HttpRequest& req, const std::string& remote) { return route(req, remote); },
      // Refused before routing (the target may not even be parsed yet): every one is counted.
      [](unsigned status, const std::string&, const std::string& remote) {
        WebhookEndpoint::count_refusal(status, remote);
      });
  auto port = http_->start();
  if (!port) return port;
  if (options_.handle_signals) arm_signals();
  health_->start();
  log::root().info("parley serve listening",
                   {{"listen", config_->webhook.listen}, {"port", *port}, {"webhook_path", webhook_path_},
                    {"config_hash", config_->hash()}, {"livekit_url", config_->livekit.url},
                    {"io_loops", pool_->io_count()}, {"media_loops", pool_->media_count()}});
  return port;
}

int Service::wait() {
  std::unique_lock lock(exit_mutex_);
  exit_cv_.wait(lock, [&] { return exit_code_.has_value(); });
  return *exit_code_;
}

void Service::exit_now(int code, const std::string& why) {
  std::lock_guard lock(exit_mutex_);
  if (exit_code_) return;
  log::root().info("parley serve exiting", {{"exit_code", code}, {"why", why}});
  exit_code_ = code;
  exit_cv_.notify_all();
}

std::shared_ptr<const Config> Service::config() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

void Service::begin_drain(const std::string& why) {
  if (admission_->draining()) return;
  auto timeout = config()->calls.drain_timeout;
  log::root().info("drain requested", {{"why", why}, {"active_calls", admission_->active()},
                                       {"drain_timeout_ms", timeout.count()}});
  admission_->begin_drain(timeout, [this] { exit_now(0, "drained"); });
}

std::string Service::reload() {
  ConfigLoad load = load_config(options_.sources);
  std::string problems;
  for (const auto& issue : load.issues) {
    if (!issue.warning) problems += (problems.empty() ? "" : "; ") + issue.to_string();
  }
  auto old = config();
  if (!problems.empty()) {
    reloads().with({"refused"}).inc();
    log::root().error("configuration reload refused; the running configuration stays",
                      {{"file", options_.sources.file.value_or("")}, {"problems", problems},
                       {"config_hash", old->hash()}});
    return problems;
  }
  auto fresh = std::make_shared<const Config>(std::move(load.config));
  if (fresh->hash() == old->hash()) {
    reloads().with({"unchanged"}).inc();
    log::root().info("configuration reloaded: unchanged", {{"config_hash", old->hash()}});
    return "";
  }
  for (const auto& s : fresh->secrets()) log::add_secret(s);
  log::set_level(fresh->log.level);
  log::set_format(fresh->log.format);
  std::vector<std::string> need_restart;
  if (fresh->webhook.listen != old->webhook.listen) need_restart.push_back("webhook.listen");
  if (fresh->webhook.path != old->webhook.path) need_restart.push_back("webhook.path");
  if (fresh->webhook.max_body_bytes != old->webhook.max_body_bytes) need_restart.push_back("webhook.max_body_bytes");
  {
    std::lock_guard lock(config_mutex_);
    config_ = fresh;
  }
  admission_->set_config(fresh);
  webhook_->set_config(fresh);
  health_->set_target(fresh->livekit.url, fresh->livekit.health_check_interval,
                      std::min(fresh->livekit.request_timeout, Millis(10'000)));
  reloads().with({"applied"}).inc();
  log::root().info("configuration reloaded: applies to new calls",
                   {{"old_hash", old->hash()}, {"new_hash", fresh->hash()}});
  if (!need_restart.empty()) {
    log::root().warn("these changed keys take effect only after a restart", {{"keys", need_restart}});
  }
  return "";
}

void Service::arm_signals() {
  if (!signals_) {
    signals_ = std::make_unique<boost::asio::signal_set>(control_loop_->io_context(), SIGTERM, SIGINT, SIGHUP);
  }
  signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec || !signals_) return;
    on_signal(signal);
    arm_signals();
  });
}

void Service::on_signal(int signal) {
  const char* name = signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "SIGHUP";
  if (signal == SIGHUP) {
    log::root().info("SIGHUP: reloading the configuration", {{"file", options_.sources.file.value_or("")}});
    reload();
    return;
  }
  if (++signals_seen_ == 1) {
    begin_drain(name);
    return;
  }
  exit_now(1, std::string("second signal (") + name + "): exiting at once with " +
                  std::to_string(admission_->active()) + " calls running");
}

HttpResponse Service::readyz(const HttpRequest& request) {
  if (admission_->draining()) return make_response(503, "not ready: draining (shutting down)\n", &request);
  if (!health_->healthy()) {
    return make_response(503, "not ready: LiveKit API unreachable: " + health_->problem() + "\n", &request);
  }
  int active = admission_->active(), capacity = admission_->capacity();
  if (active >= capacity) {
    return make_response(503, "not ready: at capacity (" + std::to_string(active) + " of " + std::to_string(capacity) +
                                  " calls)\n",
                         &request);
  }
  return make_response(200, "ready (" + std::to_string(active) + " of " + std::to_string(capacity) + " calls)\n",
                       &request);
}

HttpResponse Service::route(const HttpRequest& request, const std::string& remote) {
  std::string_view target = sv(request.target());
  std::string_view path = target.substr(0, target.find('?'));
  if (path == webhook_path_) return webhook_->handle(request, remote);
  bool get = request.method() == http::verb::get || request.method() == http::verb::head;
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (!get) {
      auto res = make_response(405, "use GET\n", &request);
      res.set(http::field::allow, "GET, HEAD");
      return res;
    }
    if (path == "/healthz") return make_response(200, "ok\n", &request);
    if (path == "/readyz") return readyz(request);
    return make_response(200, metrics::registry().render(), &request, "text/plain; version=0.0.4; charset=utf-8");
  }
  return make_response(404, "not found\n", &request);
}

}  // namespace parley::service
