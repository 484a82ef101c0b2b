#include "core/thread_stack.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace parley {

namespace {

constexpr int kMaxFrames = 64;

// One per capture, handed to the signal handler through g_target: the handler takes it (an
// exchange), so a handler that runs late, after its capture gave up, finds nothing and writes
// nowhere; a capture that gives up while its handler is writing waits for it before freeing.
struct Capture {
  std::array<void*, kMaxFrames> frames{};
  std::atomic<int> count{-1};
};
std::atomic<Capture*> g_target{nullptr};

int stack_signal() { return SIGRTMIN + 4; }

void on_stack_signal(int) {
  int saved = errno;
  if (Capture* c = g_target.exchange(nullptr, std::memory_order_acq_rel)) {
    int n = backtrace(c->frames.data(), kMaxFrames);
    c->count.store(n, std::memory_order_release);
  }
  errno = saved;
}

void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    // The first backtrace() loads the unwinder (allocates): do it here, not in the handler.
    void* warm[2];
    (void)backtrace(warm, 2);
    struct sigaction sa {};
    sa.sa_handler = on_stack_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(stack_signal(), &sa, nullptr);
  });
}

std::string demangle(const char* name) {
  int status = 0;
  char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && d ? d : name;
  std::free(d);
  return out;
}

// addr2line -a -f -i -C for the given offsets into one object file: function names of symbols
// that dladdr cannot see (the executable exports none). With -i an address inside inlined code
// gives its whole inlining chain, innermost first; a frame is named by all of it ("wait_until
// inlined in deliberately_blocking_callback"), since at -O1 (the sanitizer builds) the innermost
// name alone is often a library template and hides the project's function that called it.
std::vector<std::string> addr2line(const std::string& object, const std::vector<uintptr_t>& offsets) {
  std::string cmd = "addr2line -a -f -i -C -e '" + object + "'";
  char buf[32];
  for (auto o : offsets) {
    std::snprintf(buf, sizeof buf, " 0x%lx", static_cast<unsigned long>(o));
    cmd += buf;
  }
  cmd += " 2>/dev/null";
  std::vector<std::string> names;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return names;
  char line[4096];
  bool function_line = true;  // after the address line: "function\nfile:line" per inlining level
  while (std::fgets(line, sizeof line, p)) {
    std::string s(line);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    if (s.rfind("0x", 0) == 0) {  // -a: a new address
      names.emplace_back();
      function_line = true;
      continue;
    }
    if (function_line && !names.empty() && s != "??") {
      names.back() += names.back().empty() ? s : " inlined in " + s;
    }
    function_line = !function_line;
  }
  pclose(p);
  for (auto& n : names) {
    if (n.empty()) n = "??";
  }
  return names;
}

std::string executable_path() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("/proc/self/exe");
}

std::vector<std::string> symbolize(void* const* frames, int n) {
  std::vector<std::string> out(static_cast<size_t>(n));
  // object file -> (frame index, offset) of frames dladdr could not name
  std::map<std::string, std::vector<std::pair<int, uintptr_t>>> unnamed;
  for (int i = 0; i < n; ++i) {
    Dl_info info{};
    // A return address points after the call: step back one byte to land inside it.
    auto addr = reinterpret_cast<uintptr_t>(frames[i]) - (i > 0 ? 1 : 0);
    if (dladdr(reinterpret_cast<void*>(addr), &info) == 0 || info.dli_fname == nullptr) {
      out[static_cast<size_t>(i)] = "??";
      continue;
    }
    if (info.dli_sname) {
      out[static_cast<size_t>(i)] = demangle(info.dli_sname);
    } else {
      unnamed[info.dli_fname].push_back({i, addr - reinterpret_cast<uintptr_t>(info.dli_fbase)});
      char buf[64];
      std::snprintf(buf, sizeof buf, "+0x%lx", static_cast<unsigned long>(addr - reinterpret_cast<uintptr_t>(info.dli_fbase)));
      out[static_cast<size_t>(i)] = std::string(info.dli_fname) + buf;
    }
  }
  for (auto& [object, frames_of] : unnamed) {
    std::vector<uintptr_t> offsets;
    for (auto& f : frames_of) offsets.push_back(f.second);
    // The executable is named as it was started (argv[0], maybe relative to another directory).
    auto names = addr2line(object.empty() || object[0] != '/' ? executable_path() : object, offsets);
    for (size_t k = 0; k < names.size() && k < frames_of.size(); ++k) {
      if (names[k] != "??") out[static_cast<size_t>(frames_of[k].first)] = names[k];
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> capture_thread_stack(pthread_t thread) {
  static std::mutex one_at_a_time;
  std::lock_guard lock(one_at_a_time);
  install_handler();
  auto capture = std::make_unique<Capture>();
  g_target.store(capture.get(), std::memory_order_release);
  if (pthread_kill(thread, stack_signal()) != 0) {
    g_target.store(nullptr, std::memory_order_release);
    return {};
  }
  auto wait_for_handler = [&](std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    int n = -1;
    while ((n = capture->count.load(std::memory_order_acquire)) < 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return n;
  };
  int n = wait_for_handler(std::chrono::seconds(1));
  if (n < 0) {
    Capture* mine = capture.get();
    // Not taken yet: take it back, and a late handler finds nothing.
    if (g_target.compare_exchange_strong(mine, nullptr, std::memory_order_acq_rel)) return {};
    // Taken: the handler is writing into it; it must finish before the memory goes.
    if (wait_for_handler(std::chrono::seconds(10)) < 0) (void)capture.release();  // never freed under it
    return {};
  }
  std::array<void*, kMaxFrames> frames = capture->frames;
  // Frame 0 is the signal handler itself; then the kernel's signal return trampoline.
  auto stack = n > 1 ? symbolize(frames.data() + 1, n - 1) : std::vector<std::string>{};
  if (!stack.empty() && stack.front().find("__restore_rt") != std::string::npos) stack.erase(stack.begin());
  return stack;
}

std::vector<std::string> current_thread_stack() {
  std::array<void*, kMaxFrames> frames{};
  int n = backtrace(frames.data(), kMaxFrames);
  return n > 1 ? symbolize(frames.data() + 1, n - 1) : std::vector<std::string>{};
}

}  // namespace parley
