// An OpenAI-compatible chat model (OpenAI, vLLM, llama.cpp server, Ollama, YandexGPT's and
// GigaChat's compatible endpoints: yandexgpt_llm.h, gigachat_llm.h): POST
// {base_url}/chat/completions with "stream": true, read as server-sent events — each
// `data: {choices[0].delta.content | delta.tool_calls}` chunk, then `data: [DONE]`. Tool-call
// fragments (id and name first, arguments in pieces, keyed by index) are assembled and handed
// over when the stream ends. The agent's tools: end_call, transfer_call, send_dtmf.
//
// Errors (on_done): HTTP statuses via http_status_error (401 not retryable, 429/5xx retryable);
// a body that is not the event stream, malformed JSON, an error object in the stream, or a
// stream that ends before [DONE] → kProtocol. Network I/O runs on `io` (an AsioLoop's); handler
// callbacks come on that thread. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/url.h"
#include "providers/llm/llm_auth.h"
#include "providers/llm/llm_provider.h"

namespace parley::providers {

struct OpenAiLlmOptions {
  std::string name = "openai";  // the provider's name in logs, metrics and the fallback chain
  Url base_url;                 // e.g. https://api.openai.com/v1
  std::string ca_file;  // extra trusted CAs for https (providers.ca_file)
  std::string api_key;          // secret; sent as a Bearer token ("" = no Authorization header)
  // Where the Authorization header comes from instead of api_key (a token fetched first).
  std::shared_ptr<LlmAuth> auth;
  std::map<std::string, std::string> headers;  // more request headers (Yandex's x-folder-id)
  std::string model = "gpt-4o-mini";
  std::string system_prompt;    // used when the context has no system message
  bool tools = true;            // offer end_call, transfer_call, send_dtmf
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
};

class OpenAiLlm final : public LlmProvider {
 public:
  OpenAiLlm(boost::asio::io_context& io, OpenAiLlmOptions options) : io_(io), options_(std::move(options)) {}
  std::string_view name() const override { return options_.name; }
  std::unique_ptr<LlmStream> chat(const ChatContext& context, LlmHandler handler) override;

  // The request body for a context (exposed for tests).
  std::string request_body(const ChatContext& context) const;

 private:
  boost::asio::io_context& io_;
  OpenAiLlmOptions options_;
};

// The system prompt parley uses when none is configured.
std::string default_system_prompt(const std::string& language);

}  // namespace parley::providers
