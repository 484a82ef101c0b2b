#include "providers/tts/openai_tts.h"

#include <atomic>

#include <nlohmann/json.hpp>

#include "media/resampler.h"
#include "providers/http/http_stream.h"

namespace parley::providers {

namespace {

struct Job {
  SynthesisHandler handler;
  std::atomic<bool> cancelled{false};
  std::shared_ptr<HttpStream> http;
  std::unique_ptr<media::Resampler> resampler;
  int rate = 0;
  int status = 0;
  bool audio_type = true;
  std::string error_body;
  std::string odd;  // a byte of a sample split across reads
  size_t bytes = 0;

  void emit(std::span<const int16_t> pcm24) {
    media::SecureVector<int16_t> out;
    if (!resampler->process(pcm24, out) || out.empty() || cancelled) return;
    if (handler.on_audio) handler.on_audio(media::AudioFrame::from_samples(rate, 1, out));
  }
};

class JobHandle final : public Synthesis {
 public:
  explicit JobHandle(std::shared_ptr<Job> j) : job_(std::move(j)) {}
  ~JobHandle() override { cancel(); }
  void cancel() override {
    if (!job_) return;
    job_->cancelled = true;
    if (job_->http) job_->http->cancel();
    job_.reset();
  }

 private:
  std::shared_ptr<Job> job_;
};

}  // namespace

std::unique_ptr<Synthesis> OpenAiTts::synthesize(std::string text, std::string language, int sample_rate,
                                                 SynthesisHandler handler) {
  (void)language;  // the OpenAI voices speak the language of the text
  auto job = std::make_shared<Job>();
  job->handler = std::move(handler);
  job->rate = sample_rate;
  auto r = media::Resampler::create(kPcmRate, sample_rate, 1);
  if (!r) {
    if (job->handler.on_done) job->handler.on_done(tl::unexpected(r.error()));
    return std::make_unique<JobHandle>(nullptr);
  }
  job->resampler = std::move(*r);

  HttpStreamRequest req;
  req.method = "POST";
  req.url = options_.base_url;
  req.ca_file = options_.ca_file;
  while (!req.url.path.empty() && req.url.path.back() == '/') req.url.path.pop_back();
  req.url.path += "/audio/speech";
  req.headers["Content-Type"] = "application/json";
  if (!options_.api_key.empty()) req.headers["Authorization"] = "Bearer " + options_.api_key;
  req.body = nlohmann::json{{"model", options_.model}, {"input", text}, {"voice", options_.voice}, {"response_format", "pcm"}}.dump();
  req.connect_timeout = options_.connect_timeout;
  req.idle_timeout = options_.idle_timeout;

  HttpStreamHandler h;
  h.on_headers = [job](int status, const std::map<std::string, std::string>& headers) {
    job->status = status;
    auto it = headers.find("content-type");
    // A JSON or HTML body with status 200 is an error page, not audio.
    if (status == 200 && it != headers.end() &&
        (it->second.find("json") != std::string::npos || it->second.find("html") != std::string::npos)) {
      job->audio_type = false;
    }
  };
  h.on_data = [job](std::string_view data) {
    if (job->cancelled) return;
    if (job->status != 200 || !job->audio_type) {
      if (job->error_body.size() < 65536) job->error_body.append(data.substr(0, 65536 - job->error_body.size()));
      return;
    }
    job->bytes += data.size();
    std::string buf = std::move(job->odd);
    job->odd.clear();
    buf.append(data);
    if (buf.size() % 2) {
      job->odd = buf.substr(buf.size() - 1);
      buf.pop_back();
    }
    media::SecureVector<int16_t> pcm(buf.size() / 2);
    for (size_t i = 0; i < pcm.size(); ++i) {
      pcm[i] = static_cast<int16_t>(static_cast<uint8_t>(buf[2 * i]) | (static_cast<uint8_t>(buf[2 * i + 1]) << 8));
    }
    job->emit(pcm);
  };
  h.on_done = [job](Status s) {
    if (job->cancelled) return;
    auto finish = [&](Status st) {
      if (job->handler.on_done) job->handler.on_done(std::move(st));
      job->handler = {};
    };
    if (!s) return finish(std::move(s));
    if (job->status != 200) return finish(tl::unexpected(http_status_error("the speech synthesiser", job->status, job->error_body)));
    if (!job->audio_type) {
      return finish(make_error(ErrorCode::kProtocol, "the speech synthesiser answered with a document, not pcm audio: " +
                                                         job->error_body.substr(0, 120)));
    }
    if (job->bytes == 0) return finish(make_error(ErrorCode::kProtocol, "the speech synthesiser sent no audio", true));
    media::SecureVector<int16_t> tail;
    if (job->resampler->flush(tail) && !tail.empty() && job->handler.on_audio) {
      job->handler.on_audio(media::AudioFrame::from_samples(job->rate, 1, tail));
    }
    finish({});
  };
  job->http = start_http_stream(io_, std::move(req), std::move(h));
  return std::make_unique<JobHandle>(job);
}

}  // namespace parley::providers
