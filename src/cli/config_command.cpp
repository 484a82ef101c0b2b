// parley config check: prints the effective configuration (secrets redacted) and every
// problem with it; exits 2 when there is an error.
#include <iostream>

#include "cli/command.h"

namespace parley::cli {
namespace {

void run_check(CommandContext& ctx) {
  ConfigSources sources = ctx.sources();
  ConfigLoad load = load_config(sources);
  bool failed = !load.ok();
  if (ctx.opts.json) {
    nlohmann::ordered_json out;
    out["file"] = sources.file ? *sources.file : "";
    out["ok"] = !failed;
    out["issues"] = nlohmann::json::array();
    for (const auto& i : load.issues) {
      out["issues"].push_back({{"key", i.key}, {"severity", i.warning ? "warning" : "error"},
                               {"message", i.message}, {"fix", i.fix}});
    }
    if (!failed) {
      out["config"] = load.config.to_json();
      out["hash"] = load.config.hash();
    }
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& i : load.issues) std::cerr << i.to_string() << "\n";
    if (!failed) {
      std::cout << "# effective configuration (" << (sources.file ? *sources.file : "no file") << ", hash "
                << load.config.hash() << ")\n";
      std::cout << load.config.to_json().dump(2) << "\n";
      std::cerr << "configuration OK\n";
    }
  }
  if (failed) throw CliExit(kExitUsage, "configuration has errors");
}

const CommandRegistrar registrar(10, [](CLI::App& root, CommandContext& ctx) {
  auto* config = root.add_subcommand("config", "inspect the configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check", "validate the configuration and print it with secrets redacted");
  check->callback([&ctx] { run_check(ctx); });
});

}  // namespace
}  // namespace parley::cli
