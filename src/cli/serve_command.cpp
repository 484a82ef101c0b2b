// parley serve: the service. Receives LiveKit's webhooks, admits calls (one session per room),
// serves /healthz, /readyz and /metrics, drains on SIGTERM/SIGINT and reloads on SIGHUP.
#include <csignal>
#include <iostream>

#include "cli/command.h"
#include "service/service.h"

namespace parley::cli {
namespace {

struct ServeOptions {
  unsigned io_threads = 2;
  unsigned media_threads = 1;
};

void run_serve(CommandContext& ctx, const ServeOptions& o) {
  const Config& config = ctx.config();
  service::ServiceOptions options;
  options.sources = ctx.sources();
  options.config = config;
  options.io_loops = o.io_threads;
  options.media_loops = o.media_threads;
  service::Service svc(std::move(options));
  auto port = svc.start();
  if (!port) throw CliExit(kExitFailed, port.error().message);
  int code = svc.wait();
  if (code != kExitOk) throw CliExit(code, "");
}

const CommandRegistrar registrar(50, [](CLI::App& root, CommandContext& ctx) {
  static ServeOptions o;
  auto* serve = root.add_subcommand(
      "serve", "run the service: LiveKit webhooks, call admission, /healthz, /readyz, /metrics");
  serve->add_option("--io-threads", o.io_threads, "event loops for HTTP and admission (default 2)")
      ->check(CLI::Range(1, 64));
  serve->add_option("--media-threads", o.media_threads, "event loops for call media (default 1)")
      ->check(CLI::Range(1, 64));
  serve->callback([&ctx] { run_serve(ctx, o); });
});

}  // namespace
}  // namespace parley::cli
