#include "providers/stt/openai_stt.h"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include "media/wav_writer.h"
#include "providers/http/http_stream.h"

namespace parley::providers {

namespace {
constexpr int kRate = 16000;  // what speech models are trained on; a third of the bytes of 48 kHz

std::string random_boundary() {
  unsigned char b[12];
  RAND_bytes(b, sizeof(b));
  std::string s = "parley-";
  static const char* hex = "0123456789abcdef";
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}
}  // namespace

struct OpenAiStt::Request {
  std::atomic<bool> cancelled{false};
  std::atomic<bool> done{false};
  std::shared_ptr<HttpStream> http;
};

std::string multipart_body(const std::string& boundary, const std::vector<MultipartPart>& parts) {
  std::string out;
  for (const auto& p : parts) {
    out += "--" + boundary + "\r\n";
    out += "Content-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) out += "; filename=\"" + p.filename + "\"";
    out += "\r\n";
    if (!p.content_type.empty()) out += "Content-Type: " + p.content_type + "\r\n";
    out += "\r\n";
    out.append(p.data);
    out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

OpenAiStt::OpenAiStt(boost::asio::io_context& io, OpenAiSttOptions options)
    : io_(io), options_(std::move(options)), resampler_(kRate) {}

OpenAiStt::~OpenAiStt() { cancel(); }

void OpenAiStt::push_frame(const media::AudioFrame& frame) {
  if (frame.empty() || !frame.valid()) return;
  if (audio_.size() >= static_cast<size_t>(kRate) * options_.max_utterance.count()) {
    truncated_ = true;
    return;
  }
  (void)resampler_.push(frame, audio_);
}

void OpenAiStt::finish(std::function<void(Result<std::string>)> done) {
  std::erase_if(requests_, [](const auto& r) { return r->done.load(); });
  (void)resampler_.flush(audio_);
  media::WavAudio wav;
  wav.sample_rate = kRate;
  wav.channels = 1;
  wav.samples = std::move(audio_);
  audio_ = {};
  truncated_ = false;
  if (wav.samples.empty()) {
    done(std::string());  // nothing to recognise
    return;
  }
  auto bytes = media::WavWriter::encode(wav);
  if (!bytes) {
    done(tl::unexpected(bytes.error()));
    return;
  }
  std::string boundary = random_boundary();
  std::vector<MultipartPart> parts;
  parts.push_back({"file", "audio.wav", "audio/wav",
                   std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size())});
  parts.push_back({"model", "", "", options_.model});
  if (!options_.language.empty()) parts.push_back({"language", "", "", options_.language});
  parts.push_back({"response_format", "", "", "json"});

  HttpStreamRequest req;
  req.method = "POST";
  req.url = options_.base_url;
  req.ca_file = options_.ca_file;
  while (!req.url.path.empty() && req.url.path.back() == '/') req.url.path.pop_back();
  req.url.path += "/audio/transcriptions";
  req.headers["Content-Type"] = "multipart/form-data; boundary=" + boundary;
  req.headers["Accept"] = "application/json";
  if (!options_.api_key.empty()) req.headers["Authorization"] = "Bearer " + options_.api_key;
  req.body = multipart_body(boundary, parts);
  req.connect_timeout = options_.connect_timeout;
  req.idle_timeout = options_.idle_timeout;

  auto request = std::make_shared<Request>();
  struct Collected {
    int status = 0;
    std::string body;
  };
  auto got = std::make_shared<Collected>();
  HttpStreamHandler h;
  h.on_headers = [got](int status, const std::map<std::string, std::string>&) { got->status = status; };
  h.on_data = [got](std::string_view d) {
    if (got->body.size() < (1 << 20)) got->body.append(d);
  };
  h.on_done = [got, request, done = std::move(done)](Status s) {
    request->done = true;
    if (request->cancelled) return;
    if (!s) return done(tl::unexpected(s.error()));
    if (got->status != 200) return done(tl::unexpected(http_status_error("the speech recogniser", got->status, got->body)));
    auto j = nlohmann::json::parse(got->body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string()) {
      return done(make_error(ErrorCode::kProtocol, "the speech recogniser's answer has no \"text\" (malformed JSON)", true));
    }
    done(j["text"].get<std::string>());
  };
  request->http = start_http_stream(io_, std::move(req), std::move(h));
  requests_.push_back(std::move(request));
}

void OpenAiStt::cancel() {
  audio_ = {};
  truncated_ = false;
  for (auto& r : requests_) {
    r->cancelled = true;
    if (auto h = r->http) h->cancel();
  }
  requests_.clear();
}

}  // namespace parley::providers
