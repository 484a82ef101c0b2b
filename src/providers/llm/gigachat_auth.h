// GigaChat's access token: POST {oauth_url} (form "scope=<scope>", headers "Authorization: Basic
// <authorization key>" and "RqUID: <uuid4>") answers {"access_token", "expires_at"}; the token
// lasts 30 minutes and goes to the chat API as "Authorization: Bearer <token>" (Sber's GigaChat
// API reference, "Авторизация"). One token serves every call of the process: it is fetched
// once, shared, and fetched again a minute before it expires or after the API refused it.
// Requests that need it while it is being fetched wait for that one fetch (Sber allows 10
// token requests a second).
//
// Errors: a refused authorization key (401) is named as such with the fix, not retryable;
// others as http_status_error / network errors. Thread-safe; `done` runs on `io`'s thread.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/url.h"
#include "providers/llm/llm_auth.h"

namespace parley::providers {

struct GigaChatAuthOptions {
  Url oauth_url;           // https://ngw.devices.sberbank.ru:9443/api/v2/oauth
  std::string auth_key;    // secret: base64(client_id:client_secret)
  std::string scope = "GIGACHAT_API_PERS";
  std::string ca_file;     // the Russian Trusted Root CA, added to the system store
  std::chrono::milliseconds timeout{10'000};
};

class GigaChatAuth final : public LlmAuth, public std::enable_shared_from_this<GigaChatAuth> {
 public:
  GigaChatAuth(boost::asio::io_context& io, GigaChatAuthOptions options) : io_(io), options_(std::move(options)) {}
  void authorization(std::function<void(Result<std::string>)> done) override;
  void refused() override;
  int tokens_fetched() const;

 private:
  void fetch();
  void finish(Result<std::pair<std::string, std::chrono::system_clock::time_point>> token);

  boost::asio::io_context& io_;
  GigaChatAuthOptions options_;
  mutable std::mutex mu_;
  std::string token_;
  std::chrono::system_clock::time_point expires_{};
  bool fetching_ = false;
  int fetched_ = 0;
  std::vector<std::function<void(Result<std::string>)>> waiting_;
};

// A random RFC 4122 version-4 UUID, as Sber's RqUID header wants.
std::string uuid4();

}  // namespace parley::providers
