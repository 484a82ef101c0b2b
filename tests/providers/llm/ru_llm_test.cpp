// YandexGPT and GigaChat through parley's OpenAI-compatible client, against
// tests/providers/ru_llm_stand_in.py, which follows their documented wire formats: YandexGPT's
// model URI in the key's folder and its two auth header forms; GigaChat's OAuth token exchange
// (Basic authorization key, RqUID uuid4, scope), its Bearer token, its message roles and no
// OpenAI tools. The options come from the config sections, as parley serve builds them.
#include <cstdlib>
#include <condition_variable>
#include <mutex>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/asio_loop.h"
#include "livekit/api/http_client.h"
#include "providers/llm/openai_llm.h"
#include "providers/llm/ru_llms.h"
#include "support/stand_in_server.h"

namespace parley::providers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kYandexKey = "AQVN-test-yandex-api-key-0123456789";
constexpr const char* kFolder = "b1g-test-folder";
constexpr const char* kGigaKey = "Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ=";  // base64("client-id:client-secret")

struct Outcome {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;
  std::optional<Status> status;
  LlmHandler handler() {
    LlmHandler h;
    h.on_text = [this](std::string d) {
      std::lock_guard l(mu);
      text += d;
    };
    h.on_done = [this](Status s) {
      std::lock_guard l(mu);
      status = s;
      cv.notify_all();
    };
    return h;
  }
  bool wait() {
    std::unique_lock l(mu);
    return cv.wait_for(l, 10s, [this] { return status.has_value(); });
  }
};

// The stand-in, with the keys it accepts (it reads them at start).
struct RuStandIn {
  explicit RuStandIn(const std::string& token_ttl_s = "1800") {
    ::setenv("RU_LLM_YANDEX_KEY", kYandexKey, 1);
    ::setenv("RU_LLM_YANDEX_FOLDER", kFolder, 1);
    ::setenv("RU_LLM_GIGACHAT_AUTH_KEY", kGigaKey, 1);
    ::setenv("RU_LLM_TOKEN_TTL_S", token_ttl_s.c_str(), 1);
    server = std::make_unique<testing::StandInServer>("ru_llm_stand_in.py");
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server->port()) + path; }
  json events() const {
    livekit::HttpClient c(*parse_url(url("")), 3s);
    livekit::HttpRequest r;
    r.method = "GET";
    r.target = "/_events";
    auto resp = c.request(r);
    EXPECT_TRUE(resp);
    return resp ? json::parse(resp->body) : json::array();
  }
  std::vector<json> events(const std::string& path) const {
    std::vector<json> out;
    for (auto& e : events()) {
      if (e["path"] == path) out.push_back(e);
    }
    return out;
  }
  std::unique_ptr<testing::StandInServer> server;
};

ChatContext question(std::string q) {
  ChatContext ctx;
  ctx.language = "ru";
  ctx.messages.push_back(ChatMessage::assistant("Здравствуйте, чем могу помочь?"));
  ctx.messages.push_back(ChatMessage::user(std::move(q)));
  return ctx;
}

Outcome& ask(OpenAiLlm& llm, Outcome& out, const std::string& q = "когда вы работаете") {
  auto s = llm.chat(question(q), out.handler());
  EXPECT_TRUE(out.wait());
  return out;
}

class RuLlmTest : public ::testing::Test {
 protected:
  ProvidersConfig yandex_config() {
    ProvidersConfig p;
    p.yandexgpt.base_url = stand_in.url("/v1");
    p.yandex.api_key = kYandexKey;
    p.yandex.folder_id = kFolder;
    p.llm_timeout = 3s;
    return p;
  }
  ProvidersConfig gigachat_config() {
    ProvidersConfig p;
    p.gigachat.base_url = stand_in.url("/api/v1");
    p.gigachat.oauth_url = stand_in.url("/api/v2/oauth");
    p.gigachat.auth_key = kGigaKey;
    p.llm_timeout = 3s;
    return p;
  }
  OpenAiLlm make(Result<OpenAiLlmOptions> o) {
    EXPECT_TRUE(o) << o.error().to_string();
    return OpenAiLlm(loop.io_context(), *o);
  }
  RuStandIn stand_in;
  AsioLoop loop{"ru-llm-test"};
};

TEST_F(RuLlmTest, YandexGptGetsTheModelUriInTheFolderAndTheApiKeyAsBearer) {
  auto llm = make(yandexgpt_llm_options(yandex_config()));
  EXPECT_EQ(llm.name(), "yandexgpt");
  Outcome out;
  ask(llm, out);
  ASSERT_TRUE(*out.status) << out.status->error().to_string();
  EXPECT_EQ(out.text, "Мы работаем с девяти утра до шести вечера.");
  auto seen = stand_in.events("/v1/chat/completions");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["outcome"], "ok");
  EXPECT_EQ(seen[0]["headers"]["authorization"], std::string("Bearer ") + kYandexKey);
  EXPECT_EQ(seen[0]["headers"]["x-folder-id"], kFolder);
  EXPECT_EQ(seen[0]["body"]["model"], std::string("gpt://") + kFolder + "/yandexgpt/latest");
  EXPECT_EQ(seen[0]["body"]["stream"], true);
  EXPECT_EQ(seen[0]["body"]["tools"].size(), 3u);  // YandexGPT's compatible mode takes tools
  EXPECT_EQ(seen[0]["body"]["messages"].back()["content"], "когда вы работаете");
}

TEST_F(RuLlmTest, YandexGptSendsYandexCloudsApiKeyFormWhenConfigured) {
  auto p = yandex_config();
  p.yandexgpt.auth = "api-key";
  p.yandexgpt.model = "yandexgpt-lite/rc";
  auto llm = make(yandexgpt_llm_options(p));
  Outcome out;
  ask(llm, out);
  ASSERT_TRUE(*out.status) << out.status->error().to_string();
  auto seen = stand_in.events("/v1/chat/completions");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["headers"]["authorization"], std::string("Api-Key ") + kYandexKey);
  EXPECT_EQ(seen[0]["body"]["model"], std::string("gpt://") + kFolder + "/yandexgpt-lite/rc");
}

TEST_F(RuLlmTest, YandexGptWithAWrongKeyIsUnauthenticatedAndNamesItself) {
  auto p = yandex_config();
  p.yandex.api_key = "AQVN-wrong-key-000000000000000000";
  auto llm = make(yandexgpt_llm_options(p));
  Outcome out;
  ask(llm, out);
  ASSERT_FALSE(*out.status);
  EXPECT_EQ(out.status->error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(out.status->error().message.find("yandexgpt answered HTTP 401"), std::string::npos) << out.status->error().message;
  EXPECT_TRUE(out.text.empty());
}

TEST_F(RuLlmTest, GigaChatExchangesItsAuthorizationKeyForATokenOnceAndStreamsTheAnswer) {
  auto llm = make(gigachat_llm_options(gigachat_config(), loop.io_context()));
  EXPECT_EQ(llm.name(), "gigachat");
  for (int i = 0; i < 2; ++i) {
    Outcome out;
    ask(llm, out);
    ASSERT_TRUE(*out.status) << out.status->error().to_string();
    EXPECT_EQ(out.text, "Мы работаем с девяти утра до шести вечера.");
  }
  auto tokens = stand_in.events("/api/v2/oauth");
  ASSERT_EQ(tokens.size(), 1u);  // the second request reused the 30-minute token
  EXPECT_EQ(tokens[0]["outcome"], "token");
  EXPECT_EQ(tokens[0]["headers"]["authorization"], std::string("Basic ") + kGigaKey);
  EXPECT_EQ(tokens[0]["form"]["scope"], "GIGACHAT_API_PERS");
  EXPECT_TRUE(std::regex_match(tokens[0]["headers"]["rquid"].get<std::string>(),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  auto chats = stand_in.events("/api/v1/chat/completions");
  ASSERT_EQ(chats.size(), 2u);
  for (auto& c : chats) {
    EXPECT_EQ(c["outcome"], "ok");
    EXPECT_EQ(c["body"]["model"], "GigaChat-2");
    EXPECT_FALSE(c["body"].contains("tools"));
    EXPECT_EQ(c["body"]["messages"][0]["role"], "system");
  }
}

TEST_F(RuLlmTest, GigaChatFetchesANewTokenWhenTheOldOneIsAboutToExpire) {
  // Tokens that live 30 s: within the minute before expiry in which parley renews.
  RuStandIn short_lived("30");
  auto p = gigachat_config();
  p.gigachat.base_url = short_lived.url("/api/v1");
  p.gigachat.oauth_url = short_lived.url("/api/v2/oauth");
  auto llm = make(gigachat_llm_options(p, loop.io_context()));
  for (int i = 0; i < 2; ++i) {
    Outcome out;
    ask(llm, out);
    ASSERT_TRUE(*out.status) << out.status->error().to_string();
  }
  EXPECT_EQ(short_lived.events("/api/v2/oauth").size(), 2u);
}

TEST_F(RuLlmTest, GigaChatWithAWrongAuthorizationKeyIsNamedWithTheFix) {
  auto p = gigachat_config();
  p.gigachat.auth_key = "d3Jvbmc6a2V5";
  auto llm = make(gigachat_llm_options(p, loop.io_context()));
  Outcome out;
  ask(llm, out);
  ASSERT_FALSE(*out.status);
  EXPECT_EQ(out.status->error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(out.status->error().message.find("providers.gigachat.auth_key"), std::string::npos) << out.status->error().message;
  EXPECT_TRUE(stand_in.events("/api/v1/chat/completions").empty());  // no chat without a token
}

TEST_F(RuLlmTest, GigaChatsWrongScopeIsAClearError) {
  auto p = gigachat_config();
  p.gigachat.scope = "GIGACHAT_API_NONE";
  auto llm = make(gigachat_llm_options(p, loop.io_context()));
  Outcome out;
  ask(llm, out);
  ASSERT_FALSE(*out.status);
  EXPECT_NE(out.status->error().message.find("OAuth endpoint answered HTTP 400"), std::string::npos)
      << out.status->error().message;
}

}  // namespace
}  // namespace parley::providers
