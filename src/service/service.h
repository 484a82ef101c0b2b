// parley serve: the HTTP front door (webhook, /healthz, /readyz, /metrics — these three on a
// listener of their own when server.metrics_listen is set, which the public one then refuses),
// call admission and its reconciler (calls without an agent found on the server; webhook mode
// only: a worker's calls come as LiveKit jobs, and call recovery finds those of a dead worker), the LiveKit
// health check, graceful drain and configuration reload, on a fixed set of loops.
//
//   SIGTERM/SIGINT  /readyz turns 503 at once, no new calls, running calls continue up to
//                   calls.drain_timeout, then the process exits 0. A second signal exits at once.
//                   As an agent worker (agent.dispatch: worker) it reports itself full to
//                   LiveKit at once, so every new call goes to the other workers. /readyz is
//                   503 while such a worker is not registered.
//   SIGHUP          re-reads the configuration; a bad one is refused with the reason and the
//                   running one stays; an accepted one applies to new calls.
//
// Threading: construct, start(), wait() and destroy on one thread (main); everything else runs
// on the loops. begin_drain(), reload() and the accessors are thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/signal_set.hpp>

#include "core/clock.h"
#include "core/config.h"
#include "core/loop_pool.h"
#include "livekit/worker/agent_worker.h"
#include "service/call_admission.h"
#include "service/call_reconciler.h"
#include "service/call_recovery.h"
#include "service/call_session.h"
#include "service/config_snapshot.h"
#include "service/http_server.h"
#include "service/livekit_health_check.h"
#include "service/webhook_endpoint.h"

namespace parley::service {

struct ServiceOptions {
  ConfigSources sources;  // where reload() reads the configuration again
  Config config;          // the validated configuration to start with
  std::shared_ptr<CallSessionFactory> factory;  // nullptr: make_factory, else LoggingCallSessionFactory
  // Builds the factory once the service's loops exist (the voice agent runs its calls on them).
  std::function<std::shared_ptr<CallSessionFactory>(LoopPool& loops)> make_factory;
  unsigned io_loops = 2;     // HTTP, admission, health checks
  unsigned media_loops = 1;  // for the voice agent's media (GLib)
  bool handle_signals = true;  // SIGTERM/SIGINT drain, SIGHUP reload
  // Kept at the running configuration (start, and every applied reload) for those outside the
  // service that must follow reloads; optional.
  std::shared_ptr<ConfigSnapshot> live_config;
  // How the reconciler lists the server's rooms; nullptr: the server API (api_server_lister).
  CallReconciler::ListServer list_server;
  HttpServerOptions http;      // listen, body size, caps and timeout are taken from config.webhook and config.server
  std::string version;         // parley's version, sent when registering as an agent worker
};

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds the HTTP server and starts everything; returns the bound port.
  Result<uint16_t> start();
  // Blocks until the service is done (drained, or a second signal); returns the exit code.
  int wait();
  // Like the first SIGTERM.
  void begin_drain(const std::string& why);
  // Like SIGHUP. Returns the problems when the new configuration was refused ("" when applied).
  std::string reload();
  // Ends wait() with this exit code at once.
  void exit_now(int code, const std::string& why);

  std::shared_ptr<const Config> config() const;
  CallAdmission& admission() { return *admission_; }
  bool draining() const { return admission_->draining(); }
  // The agent-worker connection (agent.dispatch: worker), else nullptr.
  livekit::AgentWorker* worker() { return worker_.get(); }
  uint16_t port() const { return http_ ? http_->port() : 0; }
  // The port of server.metrics_listen's listener (0 when /metrics is served on port()).
  uint16_t metrics_port() const { return ops_http_ ? ops_http_->port() : 0; }
  // This process's id (the Parley-Instance header of /healthz).
  const std::string& instance() const { return instance_; }

 private:
  HttpResponse route(const HttpRequest& request, const std::string& remote);
  HttpResponse route_ops(const HttpRequest& request);  // /healthz, /readyz, /metrics
  std::optional<HttpResponse> check_header(const HttpRequest& header, const std::string& remote);
  HttpResponse readyz(const HttpRequest& request);
  void on_signal(int signal);
  void arm_signals();
  void make_worker();
  // A job's call: its room's continuity record and, for a recovery job, the decision first.
  void on_job(livekit::AgentJob job);

  ServiceOptions options_;
  mutable std::mutex config_mutex_;
  std::shared_ptr<const Config> config_;
  std::string webhook_path_;

  std::unique_ptr<LoopPool> pool_;
  AsioLoop* control_loop_ = nullptr;  // admission, health check, signals
  std::unique_ptr<CallAdmission> admission_;
  std::unique_ptr<CallReconciler> reconciler_;
  std::unique_ptr<WebhookEndpoint> webhook_;
  std::unique_ptr<LiveKitHealthCheck> health_;
  std::unique_ptr<livekit::AgentWorker> worker_;  // on the control loop
  std::unique_ptr<CallRecovery> recovery_;        // worker mode: calls whose worker died
  std::string instance_;                          // this process, for the other workers' probes
  std::string probe_url_;                         // where they reach /healthz (set by start())
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<HttpServer> ops_http_;  // server.metrics_listen
  std::unique_ptr<boost::asio::signal_set> signals_;
  int signals_seen_ = 0;  // control loop only

  std::mutex exit_mutex_;
  std::condition_variable exit_cv_;
  std::optional<int> exit_code_;
};

}  // namespace parley::service
