#include "providers/vad/vad_stream.h"

#include <string>

namespace parley::providers {

using std::chrono::milliseconds;

std::string_view to_string(VadEventType t) {
  switch (t) {
    case VadEventType::kStartOfSpeech: return "start_of_speech";
    case VadEventType::kEndOfSpeech: return "end_of_speech";
  }
  return "?";
}

Result<std::unique_ptr<VadStream>> VadStream::create(const VadOptions& o) {
  if (o.frame != milliseconds(10) && o.frame != milliseconds(20) && o.frame != milliseconds(30)) {
    return make_error(ErrorCode::kInvalidArgument, "vad: frame must be 10, 20 or 30 ms");
  }
  if (o.min_speech.count() < 0 || o.min_silence.count() < 0 || o.prefix_padding.count() < 0 ||
      o.max_speech.count() <= 0) {
    return make_error(ErrorCode::kInvalidArgument, "vad: durations must not be negative (max_speech > 0)");
  }
  auto vad = WebRtcVad::create(o.mode);
  if (!vad) return tl::unexpected(vad.error());
  return std::unique_ptr<VadStream>(new VadStream(o, std::move(*vad)));
}

VadStream::VadStream(const VadOptions& o, std::unique_ptr<WebRtcVad> vad) : options_(o), vad_(std::move(vad)) {}

milliseconds VadStream::stream_time() const {
  if (analysis_rate_ == 0) return milliseconds(0);
  return milliseconds(analysed_samples_ * 1000 / analysis_rate_);
}

Status VadStream::configure(int input_rate) {
  if (input_rate == input_rate_) return {};
  if (input_rate_ != 0) {
    return make_error(ErrorCode::kInvalidArgument, "vad: the stream's sample rate changed from " +
                                                       std::to_string(input_rate_) + " to " + std::to_string(input_rate));
  }
  const bool native = input_rate == 8000 || input_rate == 16000 || input_rate == 32000 || input_rate == 48000;
  analysis_rate_ = native ? input_rate : 16000;
  if (!native) {
    auto r = media::Resampler::create(input_rate, analysis_rate_, 1);
    if (!r) return tl::unexpected(r.error());
    resampler_ = std::move(*r);
  }
  input_rate_ = input_rate;
  assembler_.emplace(analysis_rate_, 1, options_.frame);
  return {};
}

Result<std::vector<VadEvent>> VadStream::push_frame(const media::AudioFrame& frame) {
  if (!frame.valid()) return make_error(ErrorCode::kInvalidArgument, "vad: malformed audio frame");
  if (auto st = configure(frame.sample_rate); !st) return tl::unexpected(st.error());
  media::AudioFrame mono = media::to_mono(frame);
  Status st;
  if (resampler_) {
    media::SecureVector<int16_t> resampled;
    st = resampler_->process(mono.samples(), resampled);
    if (st) st = assembler_->push(resampled);
  } else {
    st = assembler_->push(mono);
  }
  if (!st) return tl::unexpected(st.error());
  std::vector<VadEvent> events;
  while (auto f = assembler_->pop()) analyse(std::move(*f), events);
  return events;
}

void VadStream::analyse(media::AudioFrame frame, std::vector<VadEvent>& events) {
  auto speech = vad_->is_speech(frame.samples(), analysis_rate_);  // also keeps its noise model current
  const bool is_speech = speech && *speech && media::level_dbov(frame.samples()) >= options_.min_level_dbov;
  const milliseconds frame_start = stream_time();
  analysed_samples_ += frame.samples_per_channel;
  const milliseconds now = stream_time();

  if (!speaking_) {
    recent_.push_back(std::move(frame));
    // Keep the prefix padding plus the speech run that may become an utterance.
    const size_t keep = static_cast<size_t>((options_.prefix_padding + speech_run_) / options_.frame) + 1;
    while (recent_.size() > keep) recent_.pop_front();
    if (!is_speech) {
      speech_run_ = milliseconds(0);
      return;
    }
    if (speech_run_.count() == 0) speech_start_ = frame_start;
    speech_run_ += options_.frame;
    if (speech_run_ < options_.min_speech) return;
    speaking_ = true;
    silence_run_ = milliseconds(0);
    last_speech_end_ = now;
    truncated_ = false;
    utterance_.clear();
    for (auto& f : recent_) utterance_.insert(utterance_.end(), f.data.begin(), f.data.end());
    recent_.clear();
    VadEvent e;
    e.type = VadEventType::kStartOfSpeech;
    e.timestamp = now;
    e.speech_start = speech_start_;
    events.push_back(std::move(e));
    return;
  }

  const size_t max_samples = static_cast<size_t>(options_.max_speech.count()) * static_cast<size_t>(analysis_rate_) / 1000;
  if (utterance_.size() + frame.data.size() <= max_samples) {
    utterance_.insert(utterance_.end(), frame.data.begin(), frame.data.end());
  } else {
    truncated_ = true;
  }
  if (is_speech) {
    silence_run_ = milliseconds(0);
    last_speech_end_ = now;
    return;
  }
  silence_run_ += options_.frame;
  if (silence_run_ >= options_.min_silence) events.push_back(end_event(now));
}

VadEvent VadStream::end_event(milliseconds now) {
  VadEvent e;
  e.type = VadEventType::kEndOfSpeech;
  e.timestamp = now;
  e.speech_start = speech_start_;
  e.speech_duration = last_speech_end_ - speech_start_;
  e.audio = media::AudioFrame::from_samples(analysis_rate_, 1, utterance_);
  e.truncated = truncated_;
  utterance_.clear();
  speaking_ = false;
  speech_run_ = milliseconds(0);
  silence_run_ = milliseconds(0);
  return e;
}

std::vector<VadEvent> VadStream::flush() {
  std::vector<VadEvent> events;
  if (assembler_) {
    if (auto f = assembler_->pop_padded()) analyse(std::move(*f), events);
  }
  if (speaking_) events.push_back(end_event(stream_time()));
  recent_.clear();
  return events;
}

}  // namespace parley::providers
