// The yandex engines a call gets from the ProviderSet log with that call's logger: every
// "yandex stt" and "yandex tts" line of the call carries its call_id and room (issue 18), as the
// call's other lines do, so an operator can follow one call's provider failures.
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/provider_set.h"
#include "core/asio_loop.h"
#include "core/log.h"
#include "yandex_stand_in.h"

namespace parley::providers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::Outcome;
using testing::StandIn;

// Every line written while it lives, as JSON objects.
class Lines {
 public:
  Lines() {
    log::set_format(log::Format::kJson);
    log::set_sink([this](std::string_view line) {
      std::lock_guard l(mu_);
      lines_.emplace_back(line);
    });
  }
  ~Lines() {
    log::set_sink(nullptr);
    log::set_format(log::Format::kText);
  }
  // The lines whose message starts with `prefix`.
  std::vector<json> starting(const std::string& prefix) {
    std::lock_guard l(mu_);
    std::vector<json> out;
    for (const auto& text : lines_) {
      auto j = json::parse(text, nullptr, false);
      if (j.is_discarded()) continue;
      auto msg = j.value("msg", j.value("message", std::string()));
      if (msg.rfind(prefix, 0) == 0) out.push_back(j);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

struct Done {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Status> status;
  SynthesisHandler handler() {
    return {[](media::AudioFrame) {},
            [this](Status s) {
              std::lock_guard l(mu);
              status = std::move(s);
              cv.notify_all();
            }};
  }
  Status wait() {
    std::unique_lock l(mu);
    if (!cv.wait_for(l, 20s, [this] { return status.has_value(); })) return make_error(ErrorCode::kInternal, "no on_done");
    return *status;
  }
};

TEST(YandexCallLog, TheCallsYandexLinesCarryItsCallIdAndRoom) {
  StandIn s;
  Config c;
  c.providers.stt = {"yandex"};
  c.providers.tts = {"yandex"};
  c.providers.yandex.stt_endpoint = s.options().endpoint;
  c.providers.yandex.tts_endpoint = s.options().endpoint;
  // A wrong key: both engines then write their error lines, which must name the call.
  c.providers.yandex.api_key = "not-the-right-key-000000";
  c.providers.yandex.folder_id = s.options().folder_id;
  c.providers.yandex.ca_file = s.options().ca_file;
  AsioLoop loop{"yandex-log-test"};
  auto set = agent::ProviderSet::create(c, loop.io_context());
  ASSERT_TRUE(set) << set.error().to_string();

  Lines lines;
  const auto call = log::Logger::for_call("CA_log_test", "call-room-42");
  {
    auto stt = (*set)->recognizer("ru", {}, call);
    ASSERT_TRUE(stt);
    std::vector<int16_t> pcm(160, 0);
    stt->push_frame(media::AudioFrame::from_samples(8000, 1, pcm));
    Outcome out;
    stt->finish(out.callback());
    auto r = out.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated) << r.error().to_string();
  }
  auto tts = (*set)->tts({}, call);
  ASSERT_EQ(tts.size(), 1u);
  Done d;
  auto job = tts[0]->synthesize("Привет", "ru", 8000, d.handler());
  auto st = d.wait();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnauthenticated);

  auto stt_lines = lines.starting("yandex stt:");
  auto tts_lines = lines.starting("yandex tts:");
  ASSERT_GE(stt_lines.size(), 2u);  // the stream opened, and its error
  ASSERT_GE(tts_lines.size(), 1u);  // the synthesis failed
  for (const auto* group : {&stt_lines, &tts_lines}) {
    for (const auto& j : *group) {
      EXPECT_EQ(j.value("call_id", ""), "CA_log_test") << j.dump();
      EXPECT_EQ(j.value("room", ""), "call-room-42") << j.dump();
    }
  }

  // Another call's view of the same shared synthesiser names that call, not the first.
  Lines again;
  auto other = (*set)->tts({}, log::Logger::for_call("CA_other", "other-room"));
  Done d2;
  auto job2 = other[0]->synthesize("Привет", "ru", 8000, d2.handler());
  ASSERT_FALSE(d2.wait());
  auto other_lines = again.starting("yandex tts:");
  ASSERT_GE(other_lines.size(), 1u);
  for (const auto& j : other_lines) EXPECT_EQ(j.value("call_id", ""), "CA_other") << j.dump();
}

}  // namespace
}  // namespace parley::providers
