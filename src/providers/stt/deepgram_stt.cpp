#include "providers/stt/deepgram_stt.h"

#include <deque>
#include <mutex>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include "net/http_status.h"
#include "net/ws_client.h"
#include "providers/stt/deepgram_message.h"

namespace parley::providers {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr int kRate = 16000;  // what the models are trained on; linear16 at 16 kHz is 32 kB/s

// The control messages are text frames (docs/audio-keep-alive: a binary KeepAlive is mishandled).
const std::string kFinalize = R"({"type":"Finalize"})";
const std::string kKeepAlive = R"({"type":"KeepAlive"})";
const std::string kCloseStream = R"({"type":"CloseStream"})";

void wipe(std::string& audio) { OPENSSL_cleanse(audio.data(), audio.size()); }

void append_words(std::string& text, const std::string& words) {
  if (words.empty()) return;
  if (!text.empty()) text += ' ';
  text += words;
}

// A refused upgrade: Deepgram names the problem in the dg-error header and in the body
// ({"err_code", "err_msg", "request_id"}) (docs/stt-troubleshooting-websocket-data-and-net-errors).
Error refusal_error(const net::WsRefusal& refusal) {
  const int status = refusal.status;
  const auto& headers = refusal.headers;
  std::string_view body = refusal.body;
  std::string detail;
  if (auto it = headers.find("dg-error"); it != headers.end()) detail = it->second;
  if (detail.empty()) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object()) {
      for (const char* key : {"err_msg", "message", "reason"}) {
        if (j.contains(key) && j[key].is_string()) {
          detail = j[key].get<std::string>();
          break;
        }
      }
    } else {
      detail = std::string(body.substr(0, body.find('\n')));
    }
  }
  if (detail.size() > 200) detail = detail.substr(0, 200) + "…";
  std::string msg = "Deepgram refused the stream: HTTP " + std::to_string(status) + (detail.empty() ? "" : " \"" + detail + "\"");
  if (auto it = headers.find("dg-request-id"); it != headers.end()) msg += " (request " + it->second + ")";
  switch (status) {
    case 401: msg += " (fix: set DEEPGRAM_API_KEY, or providers.deepgram.api_key, to a valid Deepgram API key)"; break;
    case 402:
    case 403: msg += " (fix: the key's project has no access to this model or no credit)"; break;
    case 400: msg += " (fix: check providers.deepgram.model and the call's language: the model may not support it)"; break;
    case 404: msg += " (fix: providers.deepgram.url should be wss://api.deepgram.com/v1/listen)"; break;
    case 429: msg += " (too many concurrent streams for the key)"; break;
    default: break;
  }
  return net::http_status_error(status, std::move(msg));
}

// The server's close frame carries a code and a NET-/DATA- reason (same page).
Error closed_error(const net::WsClose& c) {
  if (c.code == 0) {
    return Error(ErrorCode::kUnavailable, "the connection to Deepgram was lost mid-utterance: " + c.reason, true);
  }
  std::string msg = "Deepgram closed the stream mid-utterance (close code " + std::to_string(c.code) +
                    (c.reason.empty() ? "" : " \"" + c.reason + "\"") + ")";
  if (c.reason.find("NET-0001") != std::string::npos) {
    msg += " (Deepgram received no audio or KeepAlive for 10 s: check the upload path to Deepgram)";
  } else if (c.reason.find("DATA-0000") != std::string::npos) {
    msg += " (Deepgram could not decode the audio: do not override encoding/sample_rate in providers.deepgram.url)";
  } else if (c.reason.find("NET-0000") != std::string::npos) {
    msg += " (Deepgram produced no result in time; a retry may work)";
  }
  return Error(ErrorCode::kUnavailable, msg, true);
}

}  // namespace

std::string deepgram_listen_target(const DeepgramSttOptions& o) {
  std::string target = o.url.path.empty() ? "/" : o.url.path;
  target += target.find('?') == std::string::npos ? '?' : '&';
  // Raw 16-bit little-endian PCM needs its encoding and rate stated (docs: sample_rate is
  // required when encoding is given).
  target += "encoding=linear16&sample_rate=" + std::to_string(kRate) + "&channels=1";
  if (!o.model.empty()) target += "&model=" + url_encode(o.model);
  if (!o.language.empty()) target += "&language=" + url_encode(o.language);
  target += "&interim_results=true&punctuate=true";
  return target;
}

// All of it runs on io's thread.
struct DeepgramStt::Session : std::enable_shared_from_this<DeepgramStt::Session> {
  Session(asio::io_context& i, DeepgramSttOptions o) : io(i), options(std::move(o)), keepalive(i) {}

  struct Out {
    std::string data;
    bool binary;
  };
  struct Finishing {
    uint64_t id;
    std::string text;
    bool got_final;
    std::function<void(Result<std::string>)> done;
    std::shared_ptr<asio::steady_timer> timer;
  };

  asio::io_context& io;
  DeepgramSttOptions options;
  std::shared_ptr<net::WsClient> ws;
  bool open = false;
  uint64_t epoch = 0;             // which connection the callbacks belong to
  std::deque<Out> waiting;        // what waits for the connection to open
  size_t waiting_audio = 0;       // bytes of audio in it
  // The utterance receiving audio.
  std::string finals;
  bool got_final = false;
  bool has_audio = false;
  std::optional<Error> failed;
  // Utterances whose Finalize is sent, oldest first: Deepgram answers in order.
  std::deque<Finishing> finishing;
  uint64_t next_id = 0;
  asio::steady_timer keepalive;
  std::chrono::steady_clock::time_point last_sent;
  std::mutex mu;
  std::function<void(std::string)> on_interim;

  void audio(std::string bytes) {
    if (failed) return wipe(bytes);  // the utterance already failed; its finish() says why
    has_audio = true;
    send_or_queue({std::move(bytes), true});
  }

  void finish(std::string tail, std::function<void(Result<std::string>)> done) {
    if (!tail.empty()) audio(std::move(tail));
    if (failed) {
      auto e = *failed;
      reset_utterance();
      return done(tl::unexpected(e));
    }
    if (!has_audio) return done(std::string());
    Finishing f{next_id++, std::move(finals), got_final, std::move(done), std::make_shared<asio::steady_timer>(io)};
    reset_utterance();
    f.timer->expires_after(options.finalize_timeout);
    std::weak_ptr<Session> weak = shared_from_this();
    f.timer->async_wait([weak, id = f.id](const boost::system::error_code& ec) {
      auto s = weak.lock();
      if (!ec && s) s->finalize_timed_out(id);
    });
    finishing.push_back(std::move(f));
    send_or_queue({kFinalize, false});
  }

  void cancel() {
    drop_connection(true);
    finishing.clear();  // their callbacks are not called: the caller cancelled them
    reset_utterance();
  }

  void reset_utterance() {
    finals.clear();
    got_final = false;
    has_audio = false;
    failed.reset();
  }

  void send_or_queue(Out out) {
    if (!ws) connect();
    if (!open) {
      if (out.binary) {
        waiting_audio += out.data.size();
        if (waiting_audio > static_cast<size_t>(kRate) * 2 * options.max_queued_audio.count()) {
          return fail_all(Error(ErrorCode::kTimeout,
                                "the connection to Deepgram did not open within " +
                                    std::to_string(options.max_queued_audio.count()) + " s of speech",
                                true));
        }
      }
      waiting.push_back(std::move(out));
      return;
    }
    auto s = ws->send(std::move(out.data), out.binary);
    last_sent = std::chrono::steady_clock::now();
    if (!s) fail_all(s.error());
  }

  void connect() {
    ++epoch;
    open = false;
    net::WsRequest req;
    req.url = options.url;
    req.url.path = deepgram_listen_target(options);
    req.headers["Authorization"] = "Token " + options.api_key;
    req.connect_timeout = options.connect_timeout;
    req.trust = tls::Trust{options.ca_file, "providers.ca_file"};
    req.wipe_binary = true;  // caller audio
    req.describe_refusal = refusal_error;
    std::weak_ptr<Session> weak = shared_from_this();
    net::WsHandler h;
    uint64_t e = epoch;
    h.on_open = [weak, e](Status st) {
      if (auto s = weak.lock(); s && s->epoch == e) s->on_open(std::move(st));
    };
    h.on_message = [weak, e](std::string&& m, bool binary) {
      if (auto s = weak.lock(); s && s->epoch == e && !binary) s->on_message(m);
    };
    h.on_closed = [weak, e](net::WsClose c) {
      if (auto s = weak.lock(); s && s->epoch == e) s->on_closed(std::move(c));
    };
    ws = net::start_ws_client(io, std::move(req), std::move(h));
  }

  void on_open(Status st) {
    if (!st) {
      Error e = st.error();
      if (e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kTimeout) {
        e.message = "cannot open the Deepgram stream: " + e.message +
                    " (fix: check providers.deepgram.url and that this machine reaches it)";
      }
      return fail_all(std::move(e));
    }
    open = true;
    last_sent = std::chrono::steady_clock::now();
    auto queued = std::move(waiting);
    waiting.clear();
    waiting_audio = 0;
    for (auto& out : queued) {
      if (!ws) break;  // a send failed and dropped the connection
      send_or_queue(std::move(out));
    }
    arm_keepalive(epoch);
  }

  void arm_keepalive(uint64_t e) {
    keepalive.expires_after(options.keepalive_interval);
    std::weak_ptr<Session> weak = shared_from_this();
    keepalive.async_wait([weak, e](const boost::system::error_code& ec) {
      auto s = weak.lock();
      if (ec || !s || s->epoch != e || !s->open) return;
      if (std::chrono::steady_clock::now() - s->last_sent >= s->options.keepalive_interval - 50ms) {
        s->send_or_queue({kKeepAlive, false});
      }
      if (s->open && s->epoch == e) s->arm_keepalive(e);
    });
  }

  void on_message(const std::string& text) {
    auto m = parse_deepgram_message(text);
    if (!m) {
      Error e = m.error();
      e.message += "; the stream is dropped and the next utterance opens a new one";
      return fail_all(std::move(e));
    }
    switch (m->type) {
      case DeepgramMessageType::kResults:
        return on_results(*m);
      case DeepgramMessageType::kError:
        return fail_all(Error(ErrorCode::kUnavailable, "Deepgram reported an error: " + m->error, true));
      default:
        return;  // Metadata, UtteranceEnd, SpeechStarted: nothing to do with the text
    }
  }

  void on_results(const DeepgramMessage& m) {
    // Before a pending Finalize's answer, results belong to the finishing utterance.
    if (!finishing.empty()) {
      auto& f = finishing.front();
      if (m.is_final) {
        append_words(f.text, m.transcript);
        f.got_final = true;
      }
      if (m.from_finalize) complete_front();
      return;
    }
    if (m.is_final) {
      append_words(finals, m.transcript);
      got_final = true;
    }
    std::function<void(std::string)> interim;
    {
      std::lock_guard l(mu);
      interim = on_interim;
    }
    if (interim) {
      std::string text = finals;
      if (!m.is_final) append_words(text, m.transcript);
      if (!text.empty()) interim(std::move(text));
    }
  }

  void complete_front() {
    auto f = std::move(finishing.front());
    finishing.pop_front();
    f.timer->cancel();
    f.done(std::move(f.text));
  }

  void finalize_timed_out(uint64_t id) {
    bool pending = false;
    for (const auto& f : finishing) pending |= f.id == id;
    if (!pending) return;
    // Deepgram may not answer a Finalize when it held no audio (docs/finalize): final segments
    // already received are then the whole text. With none, the service is not answering; the
    // connection is not trusted any more (a late answer would be taken for the next one).
    auto pending_ones = std::move(finishing);
    finishing.clear();
    bool audio_lost = has_audio;
    drop_connection(true);
    if (audio_lost) failed = Error(ErrorCode::kUnavailable, "the Deepgram stream was reset after a Finalize timeout", true);
    for (auto& f : pending_ones) {
      f.timer->cancel();
      if (f.got_final) {
        f.done(std::move(f.text));
      } else {
        f.done(make_error(ErrorCode::kTimeout,
                          "Deepgram sent no final result within " + std::to_string(options.finalize_timeout.count()) +
                              " ms of Finalize (fix: check the network to Deepgram; raise providers.stt_timeout)",
                          true));
      }
    }
  }

  void on_closed(net::WsClose c) {
    ws.reset();
    open = false;
    ++epoch;
    Error e = closed_error(c);
    if (finishing.empty() && !has_audio) return;  // idle: the next utterance reconnects
    fail_all(std::move(e));
  }

  // Fails the finishing utterances and the current one, and drops the connection.
  void fail_all(Error e) {
    drop_connection(false);
    auto pending_ones = std::move(finishing);
    finishing.clear();
    if (has_audio) failed = e;
    for (auto& f : pending_ones) {
      f.timer->cancel();
      f.done(tl::unexpected(e));
    }
  }

  void drop_connection(bool graceful) {
    ++epoch;
    keepalive.cancel();
    for (auto& out : waiting) {
      if (out.binary) wipe(out.data);
    }
    waiting.clear();
    waiting_audio = 0;
    if (ws) {
      if (graceful && open) (void)ws->send(kCloseStream, false);
      if (graceful) ws->close();
      else ws->abort();
    }
    ws.reset();
    open = false;
  }
};

DeepgramStt::DeepgramStt(asio::io_context& io, DeepgramSttOptions options)
    : io_(io), session_(std::make_shared<Session>(io, std::move(options))), resampler_(kRate) {}

DeepgramStt::~DeepgramStt() {
  set_interim_handler(nullptr);
  asio::post(io_, [s = session_] { s->cancel(); });
}

void DeepgramStt::push_frame(const media::AudioFrame& frame) {
  if (frame.empty() || !frame.valid()) return;
  media::SecureVector<int16_t> out;
  if (!resampler_.push(frame, out) || out.empty()) return;  // never an empty binary message: Deepgram takes it as the end
  // linear16 is little-endian, as the samples are in memory here.
  std::string bytes(reinterpret_cast<const char*>(out.data()), out.size() * sizeof(int16_t));
  asio::post(io_, [s = session_, bytes = std::move(bytes)]() mutable { s->audio(std::move(bytes)); });
}

void DeepgramStt::finish(std::function<void(Result<std::string>)> done) {
  media::SecureVector<int16_t> out;
  (void)resampler_.flush(out);
  std::string tail(reinterpret_cast<const char*>(out.data()), out.size() * sizeof(int16_t));
  asio::post(io_, [s = session_, tail = std::move(tail), done = std::move(done)]() mutable {
    s->finish(std::move(tail), std::move(done));
  });
}

void DeepgramStt::cancel() {
  media::SecureVector<int16_t> drop;
  (void)resampler_.flush(drop);
  asio::post(io_, [s = session_] { s->cancel(); });
}

void DeepgramStt::set_interim_handler(std::function<void(std::string)> on_interim) {
  std::lock_guard l(session_->mu);
  session_->on_interim = std::move(on_interim);
}

}  // namespace parley::providers
