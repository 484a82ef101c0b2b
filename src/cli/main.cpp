// parley: a voice AI agent for phone calls on LiveKit. See README.md.
#include <algorithm>
#include <iostream>

#include "cli/command.h"
#include "cli/version.h"
#include "core/log.h"

int main(int argc, char** argv) {
  using namespace parley::cli;
  CLI::App app{"parley: a voice AI agent for phone calls on LiveKit"};
  app.require_subcommand(1);
  app.fallthrough(true);  // global options may follow the subcommand: parley config check --config F
  app.set_version_flag("--version", std::string("parley ") + kVersion + " (commit " + kCommit + ")");
  app.footer(kExitCodesHelp);
  CommandContext ctx;
  auto& o = ctx.opts;
  app.add_option("--config", o.config_file, "configuration file (default: $PARLEY_CONFIG, then ./parley.yaml)");
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn or error");
  app.add_option("--log-format", o.log_format, "text or json");
  app.add_flag("--json", o.json, "machine-readable output");
  app.add_option("--url", o.url, "LiveKit URL (overrides LIVEKIT_URL)");
  app.add_option("--api-key", o.api_key, "LiveKit API key (overrides LIVEKIT_API_KEY)");
  app.add_option("--api-secret", o.api_secret, "LiveKit API secret (prefer LIVEKIT_API_SECRET)");
  app.add_option("--set", o.set, "override a configuration key: --set calls.max_concurrent=10");

  auto& setups = command_setups();
  std::stable_sort(setups.begin(), setups.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, setup] : setups) setup(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  } catch (const CliExit& e) {
    if (e.what()[0]) std::cerr << "parley: " << e.what() << "\n";
    return e.code;
  } catch (const std::exception& e) {
    std::cerr << "parley: " << e.what() << "\n";
    return kExitFailed;
  }
  return kExitOk;
}
