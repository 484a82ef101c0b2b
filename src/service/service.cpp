#include "service/service.h"

#include <unistd.h>

#include <csignal>
#include <future>
#include <random>

#include <boost/asio/signal_set.hpp>

#include "core/log.h"
#include "core/metrics.h"

namespace parley::service {
namespace {

namespace http = boost::beast::http;

std::string_view sv(boost::beast::string_view v) { return {v.data(), v.size()}; }

std::string random_instance() {
  std::random_device rd;
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) out += hex[rd() % 16];
  return out;
}

// http://<webhook.listen> as the other workers reach it: a wildcard address becomes this host's name.
std::string default_worker_url(const std::string& listen, uint16_t port) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host == "0.0.0.0" || host == "[::]" || host == "::" || host.empty()) {
    char name[256] = {};
    host = gethostname(name, sizeof(name) - 1) == 0 && name[0] ? name : "localhost";
  }
  return "http://" + host + ":" + std::to_string(port);
}

metrics::CounterFamily& reloads() {
  static auto& f = metrics::registry().counter("parley_config_reloads_total", "configuration reloads, by result",
                                               {"result"});
  return f;
}

}  // namespace

Service::Service(ServiceOptions options) : options_(std::move(options)) {
  config_ = std::make_shared<const Config>(options_.config);
  if (options_.live_config) options_.live_config->set(config_);
  webhook_path_ = config_->webhook.path;
  pool_ = std::make_unique<LoopPool>(options_.media_loops, options_.io_loops);
  if (!options_.factory && options_.make_factory) options_.factory = options_.make_factory(*pool_);
  if (!options_.factory) options_.factory = std::make_shared<LoggingCallSessionFactory>();
  control_loop_ = &pool_->next_io();
  admission_ = std::make_unique<CallAdmission>(*control_loop_, config_, options_.factory);
  webhook_ = std::make_unique<WebhookEndpoint>(config_, *admission_);
  if (!options_.list_server) options_.list_server = api_server_lister();
  reconciler_ = std::make_unique<CallReconciler>(*admission_, config_, options_.list_server);
  health_ = std::make_unique<LiveKitHealthCheck>(*control_loop_, config_->livekit.url,
                                                 Credentials{config_->livekit.api_key, config_->livekit.api_secret},
                                                 config_->livekit.health_check_interval,
                                                 std::min(config_->livekit.request_timeout, Millis(10'000)),
                                                 config_->livekit.ca_file);
  instance_ = random_instance();
  if (config_->agent.dispatch == "worker") {
    make_worker();
    recovery_ = std::make_unique<CallRecovery>(config_, instance_);
  }
}

void Service::make_worker() {
  livekit::AgentWorkerOptions wo;
  wo.url = config_->livekit.url;
  wo.api_key = config_->livekit.api_key;
  wo.api_secret = config_->livekit.api_secret;
  wo.agent_name = config_->agent.agent_name;
  wo.participant_identity = config_->agent.identity;
  wo.participant_name = config_->agent.name;
  wo.version = options_.version;
  wo.capacity = config_->calls.max_concurrent;
  wo.logger = log::root().with("agent_name", config_->agent.agent_name);
  livekit::AgentWorkerHooks hooks;
  // The worker and admission both live on the control loop; the worker is stopped only after
  // admission has ended every call (~Service), so these never outlive either.
  hooks.on_job = [this](livekit::AgentJob job) { on_job(std::move(job)); };
  hooks.on_termination = [this](const std::string& job_id) { admission_->end_job(job_id); };
  worker_ = livekit::AgentWorker::create(*control_loop_, std::move(wo), std::move(hooks));
}

void Service::on_job(livekit::AgentJob job) {
  const std::string key = recovery_key(job.metadata);
  auto continuity = std::make_shared<agent::CallContinuity>();
  if (auto metadata = agent::room_metadata_object(job.room_metadata)) {
    continuity->room_metadata = std::move(*metadata);
    continuity->owner = {{"instance", instance_}, {"probe", probe_url_}, {"job", job.id}};
    if (!key.empty()) continuity->history = agent::turns_from_metadata(continuity->room_metadata);
  } else {
    // Someone else's metadata that is not a JSON object: left alone, so this call cannot be
    // taken over if this process dies.
    log::Logger::for_call("job-" + job.id, job.room)
        .warn("the room's metadata is not a JSON object: the call is not recorded there, and cannot be taken over "
              "if this worker dies");
  }
  continuity->resumed = !key.empty();
  JobCall call;
  call.job_id = job.id;
  call.room = job.room;
  call.room_sid = job.room_sid;
  call.token = std::move(job.token);
  call.url = std::move(job.url);
  call.continuity = std::move(continuity);
  call.on_running = [this, id = job.id] { worker_->job_running(id); };
  call.on_end = [this, id = job.id](const std::string& error) { worker_->finish_job(id, error); };
  if (key.empty() || !recovery_) return admission_->admit_job(std::move(call));
  // A recovery job: only the earliest dispatch for this loss joins (call_recovery.h).
  recovery_->decide(job.room, job.dispatch_id, key, [this, call = std::move(call)](bool take) mutable {
    if (take) return admission_->admit_job(std::move(call));
    worker_->finish_job(call.job_id, "");
  });
}

Service::~Service() {
  // After these, no request reaches route() or the endpoints any more.
  if (http_) http_->stop();
  if (ops_http_) ops_http_->stop();
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
  reconciler_->stop();  // before admission: no snapshot arrives after its shutdown
  if (recovery_) recovery_->stop();  // before admission: no recovered job is admitted after its shutdown
  admission_->shutdown();
  // The sessions' teardowns run on the calls' loops: let them finish before the loops stop.
  options_.factory->wait_until_stopped(std::chrono::seconds(5));
  if (worker_) worker_->stop();  // after admission: the calls' final job statuses go first
  pool_->stop();  // joins every loop thread; what they still held is released below
  http_.reset();
  ops_http_.reset();
  health_.reset();
  reconciler_.reset();
  recovery_.reset();
  webhook_.reset();
  admission_.reset();
  worker_.reset();
}

Result<uint16_t> Service::start() {
  HttpServerOptions http_options = options_.http;
  http_options.listen = config_->webhook.listen;
  http_options.max_body_bytes = config_->webhook.max_body_bytes;
  http_options.max_connections = config_->server.max_connections;
  http_options.max_connections_per_address = config_->server.max_connections_per_address;
  http_options.read_timeout = config_->server.request_timeout;
  std::vector<AsioLoop*> loops;
  for (size_t i = 0; i < pool_->io_count(); ++i) loops.push_back(&pool_->next_io());
  http_ = std::make_unique<HttpServer>(
      loops, http_options, [this](const HttpRequest& req, const std::string& remote) { return route(req, remote); },
      // Refused before routing (the target may not even be parsed yet): every one is counted.
      [](unsigned status, const std::string&, const std::string& remote) {
        WebhookEndpoint::count_refusal(status, remote);
      },
      [this](const HttpRequest& header, const std::string& remote) { return check_header(header, remote); });
  auto port = http_->start();
  if (!port) return port;
  if (!config_->server.metrics_listen.empty()) {
    HttpServerOptions ops_options = http_options;
    ops_options.listen = config_->server.metrics_listen;
    ops_options.name = "metrics";
    ops_options.max_body_bytes = 1024;  // GET only
    ops_http_ = std::make_unique<HttpServer>(
        loops, ops_options, [this](const HttpRequest& req, const std::string&) { return route_ops(req); });
    auto ops_port = ops_http_->start();
    if (!ops_port) {
      return make_error(ops_port.error().code, ops_port.error().message + " (server.metrics_listen)");
    }
  }
  if (options_.handle_signals) arm_signals();
  health_->start();
  // The first round at once: calls that waited while parley was down. Not in worker mode: there
  // LiveKit hands each call to a worker as a job, admission ignores whatever a snapshot sights
  // (no call starts from it and nothing is ever queued), and calls whose worker died are found by
  // call recovery's own ListRooms. A round would be one ListRooms plus one ListParticipants per
  // room every calls.reconcile_interval on every worker, for nothing.
  if (!worker_) reconciler_->start();
  probe_url_ = config_->agent.worker_url.empty() ? default_worker_url(config_->webhook.listen, *port)
                                                 : config_->agent.worker_url;
  if (worker_) worker_->start();
  if (recovery_) recovery_->start();
  log::root().info("parley serve listening",
                   {{"listen", config_->webhook.listen}, {"port", *port}, {"webhook_path", webhook_path_},
                    {"metrics_listen", config_->server.metrics_listen}, {"metrics_port", metrics_port()},
                    {"config_hash", config_->hash()}, {"livekit_url", config_->livekit.url},
                    {"io_loops", pool_->io_count()}, {"media_loops", pool_->media_count()},
                    {"reconcile_interval_ms", worker_ ? 0 : config_->calls.reconcile_interval.count()},
                    {"dispatch", config_->agent.dispatch}, {"instance", instance_}, {"worker_url", probe_url_}});
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
  if (worker_) worker_->drain();  // LiveKit sends every new call elsewhere from now on
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
  const auto &fs = fresh->server, &os = old->server;
  if (fs.metrics_listen != os.metrics_listen) need_restart.push_back("server.metrics_listen");
  if (fs.max_connections != os.max_connections || fs.max_connections_per_address != os.max_connections_per_address ||
      fs.request_timeout != os.request_timeout) {
    need_restart.push_back("server.max_connections, max_connections_per_address, request_timeout");
  }
  if (fresh->agent.dispatch != old->agent.dispatch) need_restart.push_back("agent.dispatch");
  if (fresh->agent.agent_name != old->agent.agent_name) need_restart.push_back("agent.agent_name");
  {
    std::lock_guard lock(config_mutex_);
    config_ = fresh;
  }
  admission_->set_config(fresh);
  reconciler_->set_config(fresh);
  if (recovery_) recovery_->set_config(fresh);
  if (worker_) worker_->set_capacity(fresh->calls.max_concurrent);
  webhook_->set_config(fresh);
  if (options_.live_config) options_.live_config->set(fresh);
  health_->set_target(fresh->livekit.url, Credentials{fresh->livekit.api_key, fresh->livekit.api_secret},
                      fresh->livekit.health_check_interval,
                      std::min(fresh->livekit.request_timeout, Millis(10'000)), fresh->livekit.ca_file);
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
  if (worker_ && !worker_->registered()) {
    return make_response(503, "not ready: not registered with LiveKit as agent worker '" + config()->agent.agent_name +
                                  "' (reconnecting)\n",
                         &request);
  }
  int active = admission_->active(), capacity = admission_->capacity();
  if (active >= capacity) {
    return make_response(503, "not ready: at capacity (" + std::to_string(active) + " of " + std::to_string(capacity) +
                                  " calls, " + std::to_string(admission_->queued()) + " queued)\n",
                         &request);
  }
  return make_response(200, "ready (" + std::to_string(active) + " of " + std::to_string(capacity) + " calls)\n",
                       &request);
}

std::optional<HttpResponse> Service::check_header(const HttpRequest& header, const std::string& remote) {
  std::string_view target = sv(header.target());
  if (target.substr(0, target.find('?')) == webhook_path_) return webhook_->admit(header, remote);
  return std::nullopt;
}

HttpResponse Service::route(const HttpRequest& request, const std::string& remote) {
  std::string_view target = sv(request.target());
  std::string_view path = target.substr(0, target.find('?'));
  if (path == webhook_path_) return webhook_->handle(request, remote);
  // With a listener of their own, the operational endpoints are not on the public one at all.
  if (!ops_http_) return route_ops(request);
  return make_response(404, "not found\n", &request);
}

HttpResponse Service::route_ops(const HttpRequest& request) {
  std::string_view target = sv(request.target());
  std::string_view path = target.substr(0, target.find('?'));
  bool get = request.method() == http::verb::get || request.method() == http::verb::head;
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (!get) {
      auto res = make_response(405, "use GET\n", &request);
      res.set(http::field::allow, "GET, HEAD");
      return res;
    }
    if (path == "/healthz") {
      // Which process answers: the other workers tell a restarted one from the one that ran a call.
      auto res = make_response(200, "ok\n", &request);
      res.set(kInstanceHeader, instance_);
      return res;
    }
    if (path == "/readyz") return readyz(request);
    return make_response(200, metrics::registry().render(), &request, "text/plain; version=0.0.4; charset=utf-8");
  }
  return make_response(404, "not found\n", &request);
}

}  // namespace parley::service
