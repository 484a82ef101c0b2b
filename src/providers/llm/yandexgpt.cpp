#include "providers/llm/yandexgpt.h"

namespace parley::providers {

std::string yandexgpt_model_uri(const std::string& folder_id, const std::string& model) {
  if (model.rfind("gpt://", 0) == 0) return model;
  return "gpt://" + folder_id + "/" + model;
}

std::string yandex_authorization(const std::string& api_key, const std::string& iam_token, const std::string& form) {
  if (!api_key.empty()) return (form == "api-key" ? "Api-Key " : "Bearer ") + api_key;
  if (!iam_token.empty()) return "Bearer " + iam_token;
  return {};
}

}  // namespace parley::providers
