// The OpenAI-compatible LLM against a local stand-in server that speaks the documented wire
// format (server-sent chat.completion.chunk events, tool-call fragments, [DONE]) — and against
// malformed, truncated and refused responses.
#include <condition_variable>
#include <mutex>

#include <boost/asio/ip/tcp.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/asio_loop.h"
#include "livekit/api/http_client.h"
#include "providers/llm/fallback_llm.h"
#include "providers/llm/openai_llm.h"
#include "providers/llm/script_llm.h"
#include "support/param_name.h"
#include "support/stand_in_server.h"

namespace parley::providers {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;
  std::vector<ToolCall> tools;
  int deltas = 0;
  int done = 0;
  std::optional<Status> status;

  LlmHandler handler() {
    LlmHandler h;
    h.on_text = [this](std::string d) {
      std::lock_guard l(mu);
      text += d;
      ++deltas;
    };
    h.on_tool_call = [this](ToolCall c) {
      std::lock_guard l(mu);
      tools.push_back(std::move(c));
    };
    h.on_done = [this](Status s) {
      std::lock_guard l(mu);
      ++done;
      status = s;
      cv.notify_all();
    };
    return h;
  }
  bool wait(std::chrono::milliseconds d = 10s) {
    std::unique_lock l(mu);
    return cv.wait_for(l, d, [this] { return done > 0; });
  }
};

class OpenAiLlmTest : public ::testing::Test {
 protected:
  OpenAiLlm make(const std::string& model, std::string base = "") {
    OpenAiLlmOptions o;
    o.base_url = *parse_url(base.empty() ? server.base_url() : base);
    o.api_key = "sk-test-1234";
    o.model = model;
    o.connect_timeout = 3s;
    o.idle_timeout = 3s;
    return OpenAiLlm(loop.io_context(), o);
  }
  ChatContext question(std::string q) {
    ChatContext ctx;
    ctx.messages.push_back(ChatMessage::assistant("Hello, how can I help?"));
    ctx.messages.push_back(ChatMessage::user(std::move(q)));
    return ctx;
  }
  nlohmann::json last_request() {
    livekit::HttpClient c(*parse_url("http://127.0.0.1:" + std::to_string(server.port())), 3s);
    livekit::HttpRequest r;
    r.target = "/_last";
    auto resp = c.request(r);
    EXPECT_TRUE(resp);
    return nlohmann::json::parse(resp->body);
  }

  testing::StandInServer server;
  AsioLoop loop{"openai-test"};
};

TEST_F(OpenAiLlmTest, StreamsDeltasUntilDoneAndSendsTheDocumentedRequest) {
  auto llm = make("ok");
  Outcome out;
  auto s = llm.chat(question("what are your hours"), out.handler());
  ASSERT_TRUE(out.wait());
  ASSERT_TRUE(*out.status) << out.status->error().to_string();
  EXPECT_EQ(out.text, "You said: what are your hours. We are open from nine to six.");
  EXPECT_GE(out.deltas, 6);
  EXPECT_TRUE(out.tools.empty());
  auto req = last_request();
  EXPECT_EQ(req["path"], "/v1/chat/completions");
  EXPECT_EQ(req["headers"]["authorization"], "Bearer sk-test-1234");
  EXPECT_EQ(req["json"]["stream"], true);
  EXPECT_EQ(req["json"]["model"], "ok");
  auto& msgs = req["json"]["messages"];
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0]["role"], "system");
  EXPECT_EQ(msgs[1]["role"], "assistant");
  EXPECT_EQ(msgs[2]["content"], "what are your hours");
  std::vector<std::string> tools;
  for (auto& t : req["json"]["tools"]) tools.push_back(t["function"]["name"]);
  EXPECT_EQ(tools, (std::vector<std::string>{"end_call", "transfer_call", "send_dtmf"}));
}

TEST_F(OpenAiLlmTest, AssemblesToolCallFragments) {
  auto llm = make("tools");
  Outcome out;
  auto s = llm.chat(question("bye"), out.handler());
  ASSERT_TRUE(out.wait());
  ASSERT_TRUE(*out.status);
  EXPECT_EQ(out.text, "Goodbye, thanks for calling.");
  ASSERT_EQ(out.tools.size(), 1u);
  EXPECT_EQ(out.tools[0].id, "call_abc");
  EXPECT_EQ(out.tools[0].name, "end_call");
  EXPECT_EQ(nlohmann::json::parse(out.tools[0].arguments)["reason"], "bye");
}

TEST_F(OpenAiLlmTest, ToolCallsInTheContextGetResultMessagesAndDigitsAreDescribed) {
  auto llm = make("ok");
  ChatContext ctx;
  ChatMessage a = ChatMessage::assistant("Transferring you.");
  a.tool_calls.push_back({"call_1", "transfer_call", "{}"});
  ctx.messages.push_back(a);
  ChatMessage d;
  d.role = ChatRole::kUser;
  d.dtmf = '5';
  ctx.messages.push_back(d);
  auto body = nlohmann::json::parse(llm.request_body(ctx));
  auto& m = body["messages"];
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1]["tool_calls"][0]["function"]["name"], "transfer_call");
  EXPECT_EQ(m[2]["role"], "tool");
  EXPECT_EQ(m[2]["tool_call_id"], "call_1");
  EXPECT_NE(m[3]["content"].get<std::string>().find("key 5"), std::string::npos);
}

struct Failure {
  const char* model;
  ErrorCode code;
  bool retryable;
  const char* says;
};

// The case's name in test listings (see support/param_name.h).
void PrintTo(const Failure& f, std::ostream* os) { *os << test::param_name(f.model); }

class OpenAiLlmFailures : public OpenAiLlmTest, public ::testing::WithParamInterface<Failure> {};

TEST_P(OpenAiLlmFailures, EndWithAClearError) {
  auto llm = make(GetParam().model);
  Outcome out;
  auto s = llm.chat(question("hello"), out.handler());
  ASSERT_TRUE(out.wait());
  ASSERT_FALSE(*out.status);
  const auto& e = out.status->error();
  EXPECT_EQ(e.code, GetParam().code) << e.to_string();
  EXPECT_EQ(e.retryable, GetParam().retryable) << e.to_string();
  EXPECT_NE(e.message.find(GetParam().says), std::string::npos) << e.to_string();
  EXPECT_EQ(e.message.find("sk-test-1234"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    All, OpenAiLlmFailures,
    ::testing::Values(Failure{"malformed", ErrorCode::kProtocol, true, "malformed JSON"},
                      Failure{"truncated", ErrorCode::kProtocol, true, "cut short"},
                      Failure{"error500", ErrorCode::kUnavailable, true, "HTTP 500: The server had an error"},
                      Failure{"error401", ErrorCode::kUnauthenticated, false, "Incorrect API key"},
                      Failure{"ratelimit", ErrorCode::kResourceExhausted, true, "HTTP 429"},
                      Failure{"html", ErrorCode::kUnavailable, true, "HTTP 502: <html>"},
                      Failure{"not_sse", ErrorCode::kProtocol, false, "not an event stream"},
                      Failure{"error_event", ErrorCode::kUnavailable, true, "overloaded"}));

TEST_F(OpenAiLlmTest, AClosedPortIsUnavailable) {
  // Bind a port and close it: nothing listens there afterwards.
  int port;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  auto llm = make("ok", "http://127.0.0.1:" + std::to_string(port) + "/v1");
  Outcome out;
  auto s = llm.chat(question("hello"), out.handler());
  ASSERT_TRUE(out.wait());
  ASSERT_FALSE(*out.status);
  EXPECT_EQ(out.status->error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(out.status->error().retryable);
}

TEST_F(OpenAiLlmTest, AnHttpsUrlToAPlainServerIsATlsError) {
  auto llm = make("ok", "https://127.0.0.1:" + std::to_string(server.port()) + "/v1");
  Outcome out;
  auto s = llm.chat(question("hello"), out.handler());
  ASSERT_TRUE(out.wait());
  ASSERT_FALSE(*out.status);
  EXPECT_EQ(out.status->error().code, ErrorCode::kProtocol);
  EXPECT_NE(out.status->error().message.find("TLS"), std::string::npos);
}

TEST_F(OpenAiLlmTest, CancelStopsTheStream) {
  auto llm = make("slow");
  Outcome out;
  auto s = llm.chat(question("hello"), out.handler());
  // Wait for the first words, then cancel.
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard l(out.mu);
      if (out.deltas > 0) break;
    }
    std::this_thread::sleep_for(20ms);
  }
  s->cancel();
  int deltas;
  {
    std::lock_guard l(out.mu);
    deltas = out.deltas;
  }
  EXPECT_FALSE(out.wait(1500ms));  // the stream would have finished by now
  std::lock_guard l(out.mu);
  EXPECT_LE(out.deltas, deltas + 1);  // at most one callback already running
  EXPECT_EQ(out.done, 0);
}

TEST_F(OpenAiLlmTest, AFailingModelFallsBackToTheScript) {
  auto openai = std::make_shared<OpenAiLlm>(make("error500"));
  auto script = *ScriptLlm::create("");
  AsioLoop call_loop("call");
  Outcome out;
  std::unique_ptr<LlmStream> s;
  std::unique_ptr<FallbackLlm> chain;
  call_loop.post([&] {
    chain = std::make_unique<FallbackLlm>(call_loop, std::vector<std::shared_ptr<LlmProvider>>{openai, script}, 3000ms);
    s = chain->chat(question("what are your opening hours"), out.handler());
  });
  ASSERT_TRUE(out.wait());
  EXPECT_TRUE(*out.status);
  EXPECT_EQ(out.text, Script::embedded().match("opening hours", "en").answer);
  call_loop.post([&] {
    s.reset();
    chain.reset();
  });
  call_loop.stop();
}

}  // namespace
}  // namespace parley::providers
