#include "providers/yandex/yandex_grpc.h"

#include <fstream>
#include <sstream>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

namespace parley::providers {

std::shared_ptr<grpc::Channel> yandex_channel(const std::string& endpoint, const std::string& ca_file) {
  grpc::SslCredentialsOptions ssl;
  // The system store unless a file is named (tests trust their own CA this way).
  std::ifstream in(ca_file.empty() ? "/etc/ssl/certs/ca-certificates.crt" : ca_file);
  std::stringstream pem;
  pem << in.rdbuf();
  ssl.pem_root_certs = pem.str();
  return grpc::CreateChannel(endpoint, grpc::SslCredentials(ssl));
}

Status add_yandex_auth(grpc::ClientContext& context, const YandexAuth& auth, std::string_view service) {
  if (!auth.api_key.empty()) {
    context.AddMetadata("authorization", "Api-Key " + auth.api_key);
  } else if (!auth.iam_token.empty()) {
    context.AddMetadata("authorization", "Bearer " + auth.iam_token);
  } else {
    return make_error(ErrorCode::kUnauthenticated,
                      "yandex " + std::string(service) + ": no credentials; export YANDEX_API_KEY (or YANDEX_IAM_TOKEN)");
  }
  if (!auth.folder_id.empty()) context.AddMetadata("x-folder-id", auth.folder_id);
  return {};
}

Error yandex_error(const grpc::Status& s, std::string_view service) {
  const std::string api = "yandex " + std::string(service) + ": ";
  const std::string detail = s.error_message();
  const std::string scope = service == "tts" ? "yc.ai.speechkitTts.execute" : "yc.ai.speechkitStt.execute";
  const std::string role = service == "tts" ? "ai.speechkit-tts.user" : "ai.speechkit-stt.user";
  switch (s.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      return {ErrorCode::kUnauthenticated,
              api + "the API key or IAM token is wrong or expired (UNAUTHENTICATED: " + detail +
                  "); set YANDEX_API_KEY to a service-account API key with the scope " + scope +
                  ", or YANDEX_IAM_TOKEN to a fresh IAM token"};
    case grpc::StatusCode::PERMISSION_DENIED:
      return {ErrorCode::kPermissionDenied, api + "permission denied (" + detail + "); give the service account the " +
                                                role + " role in the folder named by YANDEX_FOLDER_ID"};
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return {ErrorCode::kResourceExhausted, api + "quota exceeded (RESOURCE_EXHAUSTED: " + detail + ")", true};
    case grpc::StatusCode::UNAVAILABLE:
      return {ErrorCode::kUnavailable, api + "service unavailable (UNAVAILABLE: " + detail + ")", true};
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return {ErrorCode::kTimeout, api + "no answer in time (DEADLINE_EXCEEDED: " + detail + ")", true};
    case grpc::StatusCode::CANCELLED:
      return {ErrorCode::kCancelled, api + "cancelled"};
    case grpc::StatusCode::INVALID_ARGUMENT:
      return {ErrorCode::kInvalidArgument, api + "request refused (INVALID_ARGUMENT: " + detail + ")"};
    default:
      return {ErrorCode::kProtocol,
              api + "failed (gRPC code " + std::to_string(static_cast<int>(s.error_code())) + ": " + detail + ")", true};
  }
}

}  // namespace parley::providers
