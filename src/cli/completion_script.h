// Shell completion scripts generated from the registered CLI11 tree (CLI11 has no generator):
// every subcommand path with its subcommands and options, so a new command completes without
// anyone editing a script. Options that take a value complete file names after them.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace parley::cli {

std::string bash_completion(const CLI::App& root);
std::string zsh_completion(const CLI::App& root);

}  // namespace parley::cli
