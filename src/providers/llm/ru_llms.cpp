#include "providers/llm/ru_llms.h"

#include "providers/llm/gigachat_auth.h"
#include "providers/llm/yandexgpt.h"

namespace parley::providers {

Result<OpenAiLlmOptions> yandexgpt_llm_options(const ProvidersConfig& p) {
  auto u = parse_url(p.yandexgpt.base_url);
  if (!u) return make_error(ErrorCode::kInvalidArgument, "providers.yandexgpt.base_url: " + u.error().message);
  OpenAiLlmOptions o;
  o.name = "yandexgpt";
  o.base_url = *u;
  o.ca_file = p.ca_file;
  o.model = yandexgpt_model_uri(p.yandex.folder_id, p.yandexgpt.model);
  o.system_prompt = p.yandexgpt.system_prompt;
  o.auth = fixed_llm_auth(yandex_authorization(p.yandex.api_key, p.yandex.iam_token, p.yandexgpt.auth));
  if (!p.yandex.folder_id.empty()) o.headers["x-folder-id"] = p.yandex.folder_id;
  o.connect_timeout = p.llm_timeout;
  o.idle_timeout = p.llm_timeout;
  return o;
}

Result<OpenAiLlmOptions> gigachat_llm_options(const ProvidersConfig& p, boost::asio::io_context& net) {
  auto u = parse_url(p.gigachat.base_url);
  if (!u) return make_error(ErrorCode::kInvalidArgument, "providers.gigachat.base_url: " + u.error().message);
  auto oauth = parse_url(p.gigachat.oauth_url);
  if (!oauth) return make_error(ErrorCode::kInvalidArgument, "providers.gigachat.oauth_url: " + oauth.error().message);
  GigaChatAuthOptions a;
  a.oauth_url = *oauth;
  a.auth_key = p.gigachat.auth_key;
  a.scope = p.gigachat.scope;
  a.ca_file = p.gigachat.ca_file;
  a.timeout = p.llm_timeout;
  OpenAiLlmOptions o;
  o.name = "gigachat";
  o.base_url = *u;
  o.ca_file = p.gigachat.ca_file;
  o.model = p.gigachat.model;
  o.system_prompt = p.gigachat.system_prompt;
  o.tools = false;
  o.auth = std::make_shared<GigaChatAuth>(net, a);
  o.connect_timeout = p.llm_timeout;
  o.idle_timeout = p.llm_timeout;
  return o;
}

}  // namespace parley::providers
