// parley completion bash|zsh: prints a completion script for the shell, generated from the
// registered commands (completion_script.h).
//   source <(parley completion bash)
#include <iostream>

#include "cli/command.h"
#include "cli/completion_script.h"

namespace parley::cli {
namespace {

struct CompletionOptions {
  std::string shell;
};

const CommandRegistrar registrar(90, [](CLI::App& root, CommandContext&) {
  auto o = std::make_shared<CompletionOptions>();
  auto* cmd = root.add_subcommand("completion", "print a shell completion script: source <(parley completion bash)");
  cmd->add_option("shell", o->shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  // The root is complete by the time a callback runs: every registrar has added its commands.
  cmd->callback([&root, o] { std::cout << (o->shell == "bash" ? bash_completion(root) : zsh_completion(root)); });
});

}  // namespace
}  // namespace parley::cli
