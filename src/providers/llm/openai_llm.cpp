#include "providers/llm/openai_llm.h"

#include <atomic>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "providers/http/http_stream.h"
#include "providers/http/sse_parser.h"

namespace parley::providers {

using nlohmann::json;

namespace {

json tool_definitions() {
  auto fn = [](const char* name, const char* description, json params) {
    return json{{"type", "function"},
                {"function", {{"name", name}, {"description", description}, {"parameters", std::move(params)}}}};
  };
  json none = {{"type", "object"}, {"properties", json::object()}};
  return json::array(
      {fn("end_call", "Hang up the phone call. Say goodbye first, in the same reply.", none),
       fn("transfer_call", "Transfer the caller to a human operator. Tell the caller first, in the same reply.", none),
       fn("send_dtmf", "Press keypad keys on the call (for phone menus).",
          {{"type", "object"},
           {"properties", {{"digits", {{"type", "string"}, {"description", "keys 0-9, * and #"}}}}},
           {"required", {"digits"}}})});
}

// One request's state, shared by the stream handle and the network callbacks.
struct Call {
  std::mutex mu;  // guards `http` between the request's start (io thread) and cancel() (the caller's)
  LlmHandler handler;
  std::atomic<bool> cancelled{false};
  std::shared_ptr<HttpStream> http;
  int status = 0;
  std::string error_body;
  SseParser sse;
  bool saw_done = false;
  bool finished = false;
  std::map<int, ToolCall> tools;

  void finish(Status s) {
    if (finished || cancelled) return;
    finished = true;
    if (s) {
      for (auto& [index, call] : tools) {
        if (handler.on_tool_call && !call.name.empty()) handler.on_tool_call(std::move(call));
      }
    }
    if (handler.on_done) handler.on_done(std::move(s));
  }

  void fail(Error e) {
    std::shared_ptr<HttpStream> h;
    {
      std::lock_guard l(mu);
      h = http;
    }
    if (h) h->cancel();
    finish(tl::unexpected(std::move(e)));
  }

  void on_event(const SseEvent& e) {
    if (finished || cancelled) return;
    if (e.data == "[DONE]") {
      saw_done = true;
      return;
    }
    auto j = json::parse(e.data, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail(Error(ErrorCode::kProtocol, "the model's stream carried malformed JSON", true));
    if (j.contains("error")) {
      const auto& err = j["error"];
      std::string msg = err.is_object() && err.contains("message") && err["message"].is_string()
                            ? err["message"].get<std::string>()
                            : err.dump();
      return fail(Error(ErrorCode::kUnavailable, "the model reported an error mid-stream: " + msg.substr(0, 200), true));
    }
    if (!j.contains("choices") || !j["choices"].is_array()) return;  // e.g. a usage-only chunk
    if (j["choices"].empty()) return;
    const auto& choice = j["choices"][0];
    if (!choice.is_object() || !choice.contains("delta") || !choice["delta"].is_object()) return;
    const auto& delta = choice["delta"];
    if (delta.contains("content") && delta["content"].is_string()) {
      auto text = delta["content"].get<std::string>();
      if (!text.empty() && handler.on_text) handler.on_text(std::move(text));
    }
    if (delta.contains("tool_calls") && delta["tool_calls"].is_array()) {
      for (const auto& tc : delta["tool_calls"]) {
        if (!tc.is_object()) continue;
        int index = tc.contains("index") && tc["index"].is_number_integer() ? tc["index"].get<int>() : 0;
        auto& call = tools[index];
        if (tc.contains("id") && tc["id"].is_string()) call.id = tc["id"].get<std::string>();
        if (tc.contains("function") && tc["function"].is_object()) {
          const auto& f = tc["function"];
          if (f.contains("name") && f["name"].is_string()) call.name += f["name"].get<std::string>();
          if (f.contains("arguments") && f["arguments"].is_string()) call.arguments += f["arguments"].get<std::string>();
        }
      }
    }
  }
};

HttpStreamHandler make_http_handler(const std::shared_ptr<Call>& call, std::shared_ptr<LlmAuth> auth, std::string provider) {
  HttpStreamHandler h;
  std::weak_ptr<Call> weak = call;
  h.on_headers = [weak](int status, const std::map<std::string, std::string>& headers) {
    auto c = weak.lock();
    if (!c) return;
    c->status = status;
    if (status == 200) {
      auto it = headers.find("content-type");
      if (it == headers.end() || it->second.find("text/event-stream") == std::string::npos) {
        c->fail(Error(ErrorCode::kProtocol, "the model answered '" + (it == headers.end() ? std::string("no content type") : it->second) +
                                                 "', not an event stream (does the server support \"stream\": true?)"));
      }
    }
  };
  h.on_data = [weak](std::string_view data) {
    auto c = weak.lock();
    if (!c || c->finished) return;
    if (c->status != 200) {
      if (c->error_body.size() < 65536) c->error_body.append(data.substr(0, 65536 - c->error_body.size()));
      return;
    }
    auto st = c->sse.feed(data, [&](SseEvent e) { c->on_event(e); });
    if (!st) c->fail(st.error());
  };
  // The Call owns the HttpStream handle; the stream's callbacks hold the Call only weakly, but
  // on_done keeps it until the request ends. (The cycle Call → HttpStream → handler → Call ends
  // when the stream finishes or is cancelled: either way it drops its handler.)
  h.on_done = [keep = call, auth = std::move(auth), provider = std::move(provider)](Status s) {
    auto c = keep;
    if (!s) return c->finish(std::move(s));
    if (c->status == 401 && auth) auth->refused();
    if (c->status != 200) return c->finish(tl::unexpected(http_status_error(provider == "openai" ? "the model" : provider, c->status, c->error_body)));
    if (!c->saw_done) {
      return c->finish(make_error(ErrorCode::kProtocol, "the model's stream ended before [DONE] (truncated)", true));
    }
    c->finish({});
  };
  return h;
}

class OpenAiStream final : public LlmStream {
 public:
  explicit OpenAiStream(std::shared_ptr<Call> call) : call_(std::move(call)) {}
  ~OpenAiStream() override { cancel(); }
  void cancel() override {
    if (!call_) return;
    std::shared_ptr<HttpStream> http;
    {
      std::lock_guard l(call_->mu);
      call_->cancelled = true;
      http = call_->http;
    }
    if (http) http->cancel();
    call_.reset();
  }

 private:
  std::shared_ptr<Call> call_;
};

}  // namespace

std::string default_system_prompt(const std::string& language) {
  return "You are a friendly voice assistant answering a phone call. Your words are spoken aloud: answer in one or "
         "two short sentences of plain text, with no lists, markdown or emoji. Answer in the caller's language (" +
         language + "). When the caller says goodbye, say goodbye and call end_call; when they ask for a person, "
         "tell them you are transferring them and call transfer_call.";
}

std::string OpenAiLlm::request_body(const ChatContext& context) const {
  json messages = json::array();
  bool has_system = false;
  for (const auto& m : context.messages) has_system |= m.role == ChatRole::kSystem;
  if (!has_system) {
    messages.push_back({{"role", "system"},
                        {"content", options_.system_prompt.empty() ? default_system_prompt(context.language) : options_.system_prompt}});
  }
  for (const auto& m : context.messages) {
    json msg = {{"role", std::string(to_string(m.role))}};
    if (m.role == ChatRole::kUser && m.dtmf) {
      msg["content"] = std::string("(The caller pressed the key ") + *m.dtmf + " on the phone keypad.)";
    } else {
      msg["content"] = m.text;
    }
    if (m.role == ChatRole::kTool) msg["tool_call_id"] = m.tool_call_id;
    if (m.role == ChatRole::kAssistant && !m.tool_calls.empty()) {
      json calls = json::array();
      for (const auto& c : m.tool_calls) {
        calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
      }
      msg["tool_calls"] = std::move(calls);
    }
    messages.push_back(std::move(msg));
    // Every tool call needs a result message after it, or the API rejects the context; the
    // agent ran them (hang-up and transfer end the conversation anyway).
    if (m.role == ChatRole::kAssistant) {
      for (const auto& c : m.tool_calls) messages.push_back({{"role", "tool"}, {"tool_call_id", c.id}, {"content", "done"}});
    }
  }
  json body = {{"model", options_.model}, {"messages", std::move(messages)}, {"stream", true}};
  if (options_.tools) body["tools"] = tool_definitions();
  return body.dump();
}

std::unique_ptr<LlmStream> OpenAiLlm::chat(const ChatContext& context, LlmHandler handler) {
  auto call = std::make_shared<Call>();
  call->handler = std::move(handler);
  HttpStreamRequest req;
  req.method = "POST";
  req.url = options_.base_url;
  req.ca_file = options_.ca_file;
  std::string base = req.url.path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  req.url.path = base + "/chat/completions";
  for (const auto& [k, v] : options_.headers) req.headers[k] = v;
  req.headers["Content-Type"] = "application/json";
  req.headers["Accept"] = "text/event-stream";
  req.body = request_body(context);
  req.connect_timeout = options_.connect_timeout;
  req.idle_timeout = options_.idle_timeout;
  auto auth = options_.auth ? options_.auth : fixed_llm_auth(options_.api_key.empty() ? "" : "Bearer " + options_.api_key);
  std::weak_ptr<Call> weak = call;
  auto* io = &io_;
  std::string provider = options_.name;
  // The header may need a token fetched first (GigaChat); the request starts once it is there.
  auth->authorization([weak, io, req = std::move(req), auth, provider](Result<std::string> header) mutable {
    auto c = weak.lock();
    if (!c) return;
    // finish() outside the lock: its handler may cancel the stream, which takes the lock.
    if (!header) return c->finish(tl::unexpected(header.error()));
    std::lock_guard l(c->mu);
    if (c->cancelled || c->finished) return;
    if (!header->empty()) req.headers["Authorization"] = *header;
    c->http = start_http_stream(*io, std::move(req), make_http_handler(c, auth, provider));
  });
  return std::make_unique<OpenAiStream>(call);
}

}  // namespace parley::providers
