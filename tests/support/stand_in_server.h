// Starts a local provider stand-in (by default tests/providers/openai_stand_in.py, the OpenAI
// API) on 127.0.0.1 and a free port for the life of the object; kills it on destruction. The
// script prints its port on its first line of output.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

extern char** environ;

namespace parley::testing {

class StandInServer {
 public:
  explicit StandInServer(std::string script_name = "openai_stand_in.py", std::string python = "python3") {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::string script = std::string(PARLEY_SOURCE_DIR) + "/tests/providers/" + script_name;
    const char* argv[] = {python.c_str(), script.c_str(), nullptr};
    if (posix_spawnp(&pid_, python.c_str(), &actions, nullptr, const_cast<char* const*>(argv), environ) != 0) {
      throw std::runtime_error("cannot start " + python);
    }
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    // The first line is the port; reading it also waits until the server listens.
    FILE* out = fdopen(fds[0], "r");
    char line[32] = {};
    if (!fgets(line, sizeof(line), out)) throw std::runtime_error("the stand-in server did not start");
    port_ = std::stoi(line);
    out_ = out;
  }
  ~StandInServer() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    if (out_) fclose(out_);
  }
  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

 private:
  pid_t pid_ = 0;
  int port_ = 0;
  FILE* out_ = nullptr;
};


}  // namespace parley::testing
