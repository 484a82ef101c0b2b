// parley serve: the service. Receives LiveKit's webhooks, admits calls (one session per room),
// serves /healthz, /readyz and /metrics, drains on SIGTERM/SIGINT and reloads on SIGHUP. Each
// admitted call gets the voice agent (src/agent) in its room; --no-agent only logs the calls.
#include <csignal>
#include <iostream>

#include "agent/api_call_control.h"
#include "agent/greeting_timeline.h"
#include "agent/provider_set.h"
#include "cli/command.h"
#include "console/board_observer.h"
#include "console/console_server.h"
#include "cli/version.h"
#include "core/asio_loop.h"
#include "core/log.h"
#include "service/agent_call_session.h"
#include "service/open_file_limit.h"
#include "service/service.h"
#include "voice/turn_metrics.h"

namespace parley::cli {
namespace {

struct ServeOptions {
  unsigned io_threads = 2;
  unsigned media_threads = 1;
  bool no_agent = false;
};

void run_serve(CommandContext& ctx, const ServeOptions& o) {
  const Config& config = ctx.config();
  service::ServiceOptions options;
  options.sources = ctx.sources();
  options.config = config;
  options.io_loops = o.io_threads;
  options.media_loops = o.media_threads;
  options.live_config = std::make_shared<service::ConfigSnapshot>(std::make_shared<const Config>(config));

  // Every connection and every call holds descriptors; the common soft limit of 1,024 would make
  // accept fail long before server.max_connections is reached.
  if (auto lim = service::raise_open_file_limit()) {
    log::root().info("open-file limit", {{"soft", lim->soft}, {"hard", lim->hard}, {"was", lim->before},
                                         {"max_connections", config.server.max_connections}});
    if (lim->soft < config.server.max_connections + 256) {
      log::root().warn("the open-file limit leaves little room beyond server.max_connections",
                       {{"soft", lim->soft}, {"max_connections", config.server.max_connections},
                        {"fix", "raise the hard limit (ulimit -Hn, LimitNOFILE= in systemd) or lower server.max_connections"}});
    }
  } else {
    log::root().warn("cannot raise the open-file limit", {{"error", lim.error().message}});
  }
  options.version = kVersion;

  // The engines are built once for the process (the pocketsphinx model is loaded once and
  // shared by every call); network providers run on a loop of their own. Declared before the
  // service so they outlive every call.
  std::unique_ptr<AsioLoop> provider_net;
  std::shared_ptr<agent::ProviderSet> providers;
  std::unique_ptr<agent::ApiCallControl> control;
  // The operator console: its board hears every call's agent; its listener runs on a loop of
  // its own, so a viewer never slows a call.
  std::shared_ptr<console::CallBoard> board;
  std::unique_ptr<console::ConsoleServer> console_server;
  std::unique_ptr<AsioLoop> console_loop;
  if (config.console.enabled) {
    std::string folder = config.console.assets.empty() ? console::ConsoleAssets::default_folder("/proc/self/exe")
                                                       : config.console.assets;
    auto assets = console::ConsoleAssets::load(folder);
    if (!assets) throw CliExit(kExitFailed, "console.enabled: " + assets.error().message);
    console::CallBoardOptions bo;
    bo.ended_calls = static_cast<size_t>(config.console.ended_calls);
    board = std::make_shared<console::CallBoard>(bo);
    console_loop = std::make_unique<AsioLoop>("console");
    console_server = std::make_unique<console::ConsoleServer>(*console_loop, options.live_config, board, std::move(*assets));
  }
  if (!o.no_agent) {
    provider_net = std::make_unique<AsioLoop>("providers-net");
    auto set = agent::ProviderSet::create(config, provider_net->io_context());
    if (!set) throw CliExit(kExitFailed, "cannot set up the speech and language providers: " + set.error().message);
    providers = std::move(*set);
    voice::register_metrics();  // the turns' histograms at zero before the first call's first turn
    agent::GreetingTimeline::register_metrics();
    // Reads the running configuration per request: a key rotated by SIGHUP reaches the next
    // hang-up or transfer.
    auto c = agent::ApiCallControl::create(
        [live = options.live_config] { return livekit::ApiOptions::from_config(live->get()->livekit); });
    if (!c) throw CliExit(kExitFailed, "cannot set up LiveKit's server API client: " + c.error().message);
    control = std::move(*c);
    options.make_factory = [&](LoopPool& loops) -> std::shared_ptr<service::CallSessionFactory> {
      return std::make_shared<service::AgentCallSessionFactory>(
          loops, providers, *control, board ? console::make_board_observers(board) : nullptr);
    };
  }
  {
    service::Service svc(std::move(options));
    auto port = svc.start();
    if (!port) throw CliExit(kExitFailed, port.error().message);
    if (console_server) {
      auto cport = console_server->start();
      if (!cport) throw CliExit(kExitFailed, "console.listen: " + cport.error().message);
    }
    int code = svc.wait();
    if (console_server) console_server->stop();
    if (code != kExitOk) throw CliExit(code, "");
  }
}

const CommandRegistrar registrar(50, [](CLI::App& root, CommandContext& ctx) {
  static ServeOptions o;
  auto* serve = root.add_subcommand(
      "serve", "run the service: LiveKit webhooks, call admission, the voice agent, /healthz, /readyz, /metrics");
  serve->add_option("--io-threads", o.io_threads, "event loops for HTTP, admission and calls (default 2)")
      ->check(CLI::Range(1, 64));
  serve->add_option("--media-threads", o.media_threads, "event loops for call media (default 1)")
      ->check(CLI::Range(1, 64));
  serve->add_flag("--no-agent", o.no_agent, "admit calls and only log them: no agent joins (tests of admission)");
  serve->callback([&ctx] { run_serve(ctx, o); });
});

}  // namespace
}  // namespace parley::cli
