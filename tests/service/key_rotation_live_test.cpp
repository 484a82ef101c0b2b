// Key rotation reaches hang-up and transfer: parley serve's server-API client for call control
// reads the running configuration per request, so after SIGHUP reloads a rotated key the next
// hang-up and transfer are signed with it. Against the real livekit-server of the local stack
// (ws://127.0.0.1:7880), which knows only devkey/secret: the key parley starts with is the
// retired one the server no longer accepts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "agent/api_call_control.h"
#include "service/config_snapshot.h"
#include "service/service.h"

namespace parley::service {
namespace {

constexpr const char* kUrl = "ws://127.0.0.1:7880";

void write_config(const std::string& path, const std::string& key, const std::string& secret) {
  std::ofstream(path) << "livekit:\n  url: " << kUrl << "\n  api_key: " << key << "\n  api_secret: " << secret
                      << "\n  retry_attempts: 1\nwebhook:\n  listen: 127.0.0.1:0\n";
}

Status wait_status(const std::function<void(std::function<void(Status)>)>& call) {
  std::promise<Status> p;
  call([&](Status s) { p.set_value(std::move(s)); });
  auto f = p.get_future();
  if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return make_error(ErrorCode::kTimeout, "no answer within 30 s");
  }
  return f.get();
}

TEST(KeyRotationLiveTest, SighupReloadOfARotatedKeyReachesTheNextHangUpAndTransfer) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("parley-keyrot-" + std::to_string(::getpid()) + ".yaml")).string();
  write_config(path, "APIretired", "the-retired-secret-nobody-accepts-any-more");
  ConfigSources sources;
  sources.file = path;  // no environment: LIVEKIT_API_KEY must not override the file
  ConfigLoad load = load_config(sources);
  ASSERT_TRUE(load.ok()) << (load.issues.empty() ? "" : load.issues.front().to_string());

  ServiceOptions o;
  o.sources = sources;
  o.config = load.config;
  o.live_config = std::make_shared<ConfigSnapshot>(std::make_shared<const Config>(load.config));
  o.handle_signals = true;  // SIGHUP reloads, as in parley serve
  // The same wiring as parley serve (src/cli/serve_command.cpp).
  auto control = agent::ApiCallControl::create(
      [live = o.live_config] { return livekit::ApiOptions::from_config(live->get()->livekit); });
  ASSERT_TRUE(control) << control.error().message;
  auto live = o.live_config;
  Service svc(std::move(o));
  ASSERT_TRUE(svc.start());

  const std::string room = "keyrot-" + std::to_string(::getpid());
  auto hang_up = [&] { return wait_status([&](auto done) { (*control)->hang_up(room, "nobody", done); }); };
  auto transfer = [&] {
    return wait_status([&](auto done) { (*control)->transfer(room, "nobody", "tel:+15550100", done); });
  };
  auto before_hang_up = hang_up();
  auto before_transfer = transfer();
  ASSERT_FALSE(before_hang_up);
  EXPECT_EQ(before_hang_up.error().code, ErrorCode::kUnauthenticated) << before_hang_up.error().message;
  ASSERT_FALSE(before_transfer);
  EXPECT_EQ(before_transfer.error().code, ErrorCode::kUnauthenticated) << before_transfer.error().message;

  write_config(path, "devkey", "secret");
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (live->get()->livekit.api_key != "devkey" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(live->get()->livekit.api_key, "devkey") << "SIGHUP did not apply the rotated key";

  // Signed with the new key, the server now gets past authentication: there is no such room or
  // participant, which is the answer only an authenticated caller gets.
  auto after_hang_up = hang_up();
  auto after_transfer = transfer();
  ASSERT_FALSE(after_hang_up);
  EXPECT_NE(after_hang_up.error().code, ErrorCode::kUnauthenticated) << after_hang_up.error().message;
  EXPECT_EQ(after_hang_up.error().code, ErrorCode::kNotFound) << after_hang_up.error().message;
  ASSERT_FALSE(after_transfer);
  EXPECT_NE(after_transfer.error().code, ErrorCode::kUnauthenticated) << after_transfer.error().message;
  std::cout << "after rotation: hang-up -> " << after_hang_up.error().message << "\n  transfer -> "
            << after_transfer.error().message << "\n";
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace parley::service
