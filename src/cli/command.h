// Subcommands register themselves: each command file defines one static CommandRegistrar that
// adds its CLI11 subcommand. main() builds the app from every registrar.
//
// Exit codes: 0 success, 1 the operation failed, 2 bad usage or configuration.
#pragma once

#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/config.h"

namespace parley::cli {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
// Shown at the foot of `parley --help` (and in README.md).
constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0  ok\n"
    "  1  failed: a server unreachable or refusing, nothing recorded, a check failed, or interrupted by\n"
    "     SIGINT/SIGTERM (a file being written is still finished)\n"
    "  2  bad usage or configuration";

// Thrown by commands to stop with a message and an exit code; main() prints it.
struct CliExit : std::runtime_error {
  CliExit(int c, const std::string& message) : std::runtime_error(message), code(c) {}
  int code;
};

struct GlobalOptions {
  std::string config_file;   // --config; else $PARLEY_CONFIG; else ./parley.yaml when present
  std::string log_level;     // --log-level
  std::string log_format;    // --log-format text|json
  bool json = false;         // --json: machine-readable output
  std::string url;           // --url (like LIVEKIT_URL)
  std::string api_key;       // --api-key
  std::string api_secret;    // --api-secret
  std::vector<std::string> set;  // --set key=value
};

class CommandContext {
 public:
  GlobalOptions opts;

  // The configuration sources these options and the environment describe.
  ConfigSources sources() const;
  // Loads and validates. Warnings go to stderr; errors print and throw CliExit(kExitUsage).
  // Issues for keys in `not_needed` (e.g. "livekit.url" for `parley token`) are ignored.
  const Config& config(const std::set<std::string>& not_needed = {});
  // Applies the log options (flags win over the configuration) and registers secrets.
  void apply_logging(const Config& c) const;
  // For a command that reads no configuration (`parley stt`, `parley tts`): --config and --set
  // would be silently ignored, so they are refused (CliExit(kExitUsage)), naming the command's
  // own flags instead.
  void refuse_configuration(const std::string& command, const std::string& own_flags) const;

 private:
  std::optional<Config> config_;
};

using CommandSetup = std::function<void(CLI::App& root, CommandContext& ctx)>;

struct CommandRegistrar {
  CommandRegistrar(int order, CommandSetup setup);
};

std::vector<std::pair<int, CommandSetup>>& command_setups();

}  // namespace parley::cli
