#include "cli/command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

namespace parley::cli {

std::vector<std::pair<int, CommandSetup>>& command_setups() {
  static std::vector<std::pair<int, CommandSetup>> setups;
  return setups;
}

CommandRegistrar::CommandRegistrar(int order, CommandSetup setup) {
  command_setups().emplace_back(order, std::move(setup));
}

ConfigSources CommandContext::sources() const {
  ConfigSources s;
  s.env = process_env();
  if (!opts.config_file.empty()) {
    s.file = opts.config_file;
  } else if (auto it = s.env.find("PARLEY_CONFIG"); it != s.env.end() && !it->second.empty()) {
    s.file = it->second;
  } else if (std::filesystem::exists("parley.yaml")) {
    s.file = "parley.yaml";
  }
  if (!opts.url.empty()) s.overrides["livekit.url"] = opts.url;
  if (!opts.api_key.empty()) s.overrides["livekit.api_key"] = opts.api_key;
  if (!opts.api_secret.empty()) s.overrides["livekit.api_secret"] = opts.api_secret;
  if (!opts.log_level.empty()) s.overrides["log.level"] = opts.log_level;
  if (!opts.log_format.empty()) s.overrides["log.format"] = opts.log_format;
  for (const auto& kv : opts.set) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw CliExit(kExitUsage, "--set '" + kv + "' is not key=value (for example --set calls.max_concurrent=10)");
    }
    s.overrides[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return s;
}

const Config& CommandContext::config(const std::set<std::string>& not_needed) {
  if (config_) return *config_;
  ConfigLoad load = load_config(sources());
  bool failed = false;
  for (const auto& issue : load.issues) {
    if (not_needed.count(issue.key)) continue;
    if (!issue.warning) failed = true;
    std::cerr << issue.to_string() << "\n";
  }
  if (failed) throw CliExit(kExitUsage, "the configuration has errors (see above); `parley config check` shows it all");
  config_ = std::move(load.config);
  apply_logging(*config_);
  return *config_;
}

void CommandContext::refuse_configuration(const std::string& command, const std::string& own_flags) const {
  std::string given;
  if (!opts.config_file.empty()) given = "--config " + opts.config_file;
  for (const auto& s : opts.set) given += (given.empty() ? "" : ", ") + ("--set " + s);
  if (given.empty()) return;
  throw CliExit(kExitUsage, command + " reads no configuration, so " + given +
                                " would change nothing (fix: use its own flags: " + own_flags + ")");
}

void CommandContext::apply_logging(const Config& c) const {
  log::set_level(c.log.level);
  log::set_format(c.log.format);
  for (const auto& s : c.secrets()) log::add_secret(s);
}

}  // namespace parley::cli
