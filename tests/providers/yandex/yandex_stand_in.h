// The Yandex SpeechKit stand-in (tests/providers/yandex_stand_in.py) for the provider tests:
// started with its environment for one test, its event log read back as JSON.
#pragma once

#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "providers/stt/yandex_stt.h"
#include "support/stand_in_server.h"

namespace parley::testing {

using namespace std::chrono_literals;
using nlohmann::json;
using providers::YandexSttOptions;

constexpr const char* kKey = "test-api-key-0123456789";

struct Outcome {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<std::string>> value;
  std::function<void(Result<std::string>)> callback() {
    return [this](Result<std::string> r) {
      std::lock_guard l(mu);
      value = std::move(r);
      cv.notify_all();
    };
  }
  Result<std::string> get(std::chrono::milliseconds d = 15s) {
    std::unique_lock l(mu);
    if (!cv.wait_for(l, d, [this] { return value.has_value(); })) {
      return make_error(ErrorCode::kInternal, "the test waited in vain for finish()'s callback");
    }
    return *value;
  }
};

// The stand-in, with its environment set for this test (it reads it at start).
struct StandIn {
  std::filesystem::path dir;
  std::unique_ptr<testing::StandInServer> server;
  explicit StandIn(const std::string& fail = "", int max_audio_ms = 300'000) {
    dir = std::filesystem::temp_directory_path() / ("yandex-stand-in-" + std::to_string(::getpid()) + "-" +
                                                    std::to_string(counter()++));
    std::filesystem::create_directories(dir);
    ::setenv("YANDEX_STAND_IN_DIR", dir.c_str(), 1);
    ::setenv("YANDEX_STAND_IN_KEY", kKey, 1);
    ::setenv("YANDEX_STAND_IN_FAIL", fail.c_str(), 1);
    ::setenv("YANDEX_STAND_IN_MAX_AUDIO_MS", std::to_string(max_audio_ms).c_str(), 1);
    server = std::make_unique<testing::StandInServer>("yandex_stand_in.py", PARLEY_VENV_PYTHON);
  }
  ~StandIn() {
    server.reset();
    std::filesystem::remove_all(dir);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
  YandexSttOptions options() const {
    YandexSttOptions o;
    o.endpoint = "127.0.0.1:" + std::to_string(server->port());
    o.api_key = kKey;
    o.folder_id = "b1g-test-folder";
    o.ca_file = (dir / "cert.pem").string();
    o.finalize_timeout = 5s;
    return o;
  }
  // Changes the stand-in's failure mode or accepted key while it runs (control.json).
  void control(const json& c) const { std::ofstream(dir / "control.json") << c.dump(); }
  std::vector<json> events() const {
    std::vector<json> out;
    std::ifstream in(dir / "events.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }
  std::vector<json> events(const std::string& kind) const {
    std::vector<json> out;
    for (auto& e : events()) {
      if (e["event"] == kind) out.push_back(e);
    }
    return out;
  }
  // Polls the event log until `done` holds (the stream's traffic is slower on a loaded machine).
  bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds d = 15s) const {
    auto deadline = std::chrono::steady_clock::now() + d;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(50ms);
    }
    return true;
  }
};


}  // namespace parley::testing
