// What Yandex SpeechKit's gRPC services share: a TLS channel, the auth metadata, and their
// status codes as parley's errors.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include "core/error.h"

namespace parley::providers {

struct YandexAuth {
  std::string api_key;    // "Api-Key <key>" (a service-account API key); wins when both are set
  std::string iam_token;  // "Bearer <token>"
  std::string folder_id;  // x-folder-id; empty for a service account's own folder
};

// A TLS channel to host:port trusting `ca_file` (PEM), or the system store when it is empty.
std::shared_ptr<grpc::Channel> yandex_channel(const std::string& endpoint, const std::string& ca_file);

// Adds "authorization" and "x-folder-id"; an error when there is no credential.
Status add_yandex_auth(grpc::ClientContext& context, const YandexAuth& auth, std::string_view service);

// `service` ("stt", "tts") names the API in the message and the key's scope in the fix.
Error yandex_error(const grpc::Status& status, std::string_view service);

}  // namespace parley::providers
