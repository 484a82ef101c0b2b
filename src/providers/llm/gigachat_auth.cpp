#include "providers/llm/gigachat_auth.h"

#include <cstdint>
#include <random>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "providers/http/http_stream.h"

namespace parley::providers {

namespace {

// A token is renewed this long before it expires, so no request goes out with one about to lapse.
constexpr auto kRenewBefore = std::chrono::seconds(60);

}  // namespace

std::string uuid4() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  unsigned char b[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = rng();
    for (int j = 0; j < 8; ++j) b[i + j] = static_cast<unsigned char>(r >> (8 * j));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

void GigaChatAuth::authorization(std::function<void(Result<std::string>)> done) {
  std::unique_lock l(mu_);
  if (!token_.empty() && std::chrono::system_clock::now() + kRenewBefore < expires_) {
    std::string header = "Bearer " + token_;
    l.unlock();
    return boost::asio::post(io_, [done = std::move(done), header] { done(header); });
  }
  waiting_.push_back(std::move(done));
  if (fetching_) return;
  fetching_ = true;
  l.unlock();
  fetch();
}

void GigaChatAuth::refused() {
  std::lock_guard l(mu_);
  token_.clear();
}

int GigaChatAuth::tokens_fetched() const {
  std::lock_guard l(mu_);
  return fetched_;
}

void GigaChatAuth::fetch() {
  struct State {
    int status = 0;
    std::string body;
  };
  auto st = std::make_shared<State>();
  HttpStreamRequest req;
  req.method = "POST";
  req.url = options_.oauth_url;
  req.ca_file = options_.ca_file;
  req.headers["Content-Type"] = "application/x-www-form-urlencoded";
  req.headers["Accept"] = "application/json";
  req.headers["RqUID"] = uuid4();
  req.headers["Authorization"] = "Basic " + options_.auth_key;
  req.body = "scope=" + options_.scope;
  req.connect_timeout = options_.timeout;
  req.idle_timeout = options_.timeout;
  HttpStreamHandler h;
  h.on_headers = [st](int status, const std::map<std::string, std::string>&) { st->status = status; };
  h.on_data = [st](std::string_view d) {
    if (st->body.size() < 65536) st->body.append(d.substr(0, 65536 - st->body.size()));
  };
  std::weak_ptr<GigaChatAuth> weak = shared_from_this();
  h.on_done = [weak, st](Status s) {
    auto self = weak.lock();
    if (!self) return;
    using Token = std::pair<std::string, std::chrono::system_clock::time_point>;
    if (!s) return self->finish(tl::unexpected(s.error()));
    if (st->status == 401) {
      return self->finish(make_error(ErrorCode::kUnauthenticated,
                                     "GigaChat refused the authorization key (HTTP 401): set providers.gigachat.auth_key "
                                     "(GIGACHAT_AUTH_KEY) to the key from Sber's developer portal, for scope " +
                                         self->options_.scope));
    }
    if (st->status != 200) return self->finish(tl::unexpected(http_status_error("GigaChat's OAuth endpoint", st->status, st->body)));
    auto j = nlohmann::json::parse(st->body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("access_token") || !j["access_token"].is_string() ||
        !j.contains("expires_at") || !j["expires_at"].is_number_integer()) {
      return self->finish(make_error(ErrorCode::kProtocol, "GigaChat's OAuth answer has no access_token and expires_at"));
    }
    // expires_at: Unix time; Sber's examples show both seconds and milliseconds.
    auto at = j["expires_at"].get<int64_t>();
    std::chrono::system_clock::time_point expires{at > 100'000'000'000 ? std::chrono::system_clock::duration(std::chrono::milliseconds(at))
                                                                       : std::chrono::system_clock::duration(std::chrono::seconds(at))};
    self->finish(Token{j["access_token"].get<std::string>(), expires});
  };
  // The request keeps itself alive until on_done; nothing here cancels a token fetch.
  start_http_stream(io_, std::move(req), std::move(h));
}

void GigaChatAuth::finish(Result<std::pair<std::string, std::chrono::system_clock::time_point>> token) {
  std::vector<std::function<void(Result<std::string>)>> waiting;
  {
    std::lock_guard l(mu_);
    fetching_ = false;
    waiting.swap(waiting_);
    if (token) {
      token_ = token->first;
      expires_ = token->second;
      ++fetched_;
    }
  }
  for (auto& w : waiting) {
    if (token) {
      w("Bearer " + token->first);
    } else {
      w(tl::unexpected(token.error()));
    }
  }
}

}  // namespace parley::providers
