// What YandexGPT's OpenAI-compatible endpoint (https://llm.api.cloud.yandex.net/v1, ydocs
// foundation-models/concepts/openai-compatibility) needs beyond OpenAI's: the model named as a
// URI in the folder, gpt://<folder_id>/yandexgpt/latest, and Yandex Cloud's credentials: a
// service-account API key ("Bearer <key>" as that page shows, or Yandex Cloud's own "Api-Key
// <key>") or an IAM token ("Bearer <token>"), with x-folder-id naming the folder.
#pragma once

#include <string>

namespace parley::providers {

// "yandexgpt/latest" in folder "b1g…" → "gpt://b1g…/yandexgpt/latest"; a gpt:// URI stays as it is.
std::string yandexgpt_model_uri(const std::string& folder_id, const std::string& model);

// The Authorization header: the API key in `form` ("bearer" or "api-key"), else the IAM token.
std::string yandex_authorization(const std::string& api_key, const std::string& iam_token, const std::string& form);

}  // namespace parley::providers
