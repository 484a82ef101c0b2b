#include "voice/audio_playout.h"

#include <algorithm>

namespace parley::voice {

using namespace std::chrono;

AudioPlayout::AudioPlayout(EventLoop& loop, const Clock& clock, int sample_rate, Handler handler)
    : loop_(loop), clock_(clock), sample_rate_(sample_rate), handler_(std::move(handler)), pacer_(clock) {}

AudioPlayout::~AudioPlayout() { timer_.cancel(); }

AudioPlayout::Segment* AudioPlayout::find(uint64_t id) {
  for (auto& s : segments_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

AudioPlayout::Segment& AudioPlayout::get(uint64_t id) {
  if (auto* s = find(id)) return *s;
  segments_.push_back(Segment{id, {}, media::FrameAssembler(sample_rate_, 1), false, false, 0, 0});
  return segments_.back();
}

void AudioPlayout::push(uint64_t segment, const media::AudioFrame& audio) {
  auto& s = get(segment);
  if (s.ended) return;
  auto mono = media::to_mono(audio);
  if (mono.sample_rate != sample_rate_ || !s.assembler.push(mono)) return;  // the owner resamples first
  while (auto f = s.assembler.pop()) {
    s.frames.push_back(std::move(*f));
    ++s.total;
  }
  schedule();
}

void AudioPlayout::end_segment(uint64_t segment) {
  auto& s = get(segment);
  if (s.ended) return;
  if (auto f = s.assembler.pop_padded()) {
    s.frames.push_back(std::move(*f));
    ++s.total;
  }
  s.ended = true;
  schedule();
}

void AudioPlayout::pause() {
  paused_ = true;
  timer_.cancel();
  pacer_.stop();
}

void AudioPlayout::resume() {
  if (!paused_) return;
  paused_ = false;
  schedule();
}

void AudioPlayout::clear() {
  segments_.clear();
  timer_.cancel();
  pacer_.stop();
}

int AudioPlayout::played_frames(uint64_t segment) const {
  for (const auto& s : segments_) {
    if (s.id == segment) return s.played;
  }
  return 0;
}

int AudioPlayout::total_frames(uint64_t segment) const {
  for (const auto& s : segments_) {
    if (s.id == segment) return s.total;
  }
  return 0;
}

void AudioPlayout::schedule() {
  if (paused_ || in_tick_ || timer_.active() || segments_.empty()) return;
  const auto& head = segments_.front();
  if (head.frames.empty() && !head.ended) return;  // waiting for audio
  if (!pacer_.running()) {
    // Nothing was playing: the first frame goes out now (but never sooner than 20 ms after the
    // last one), and the pacer's schedule starts there.
    auto now = clock_.now();
    if (now < not_before_) {
      timer_ = loop_.post_after(ceil<milliseconds>(not_before_ - now), [this] {
        timer_ = TimerHandle();
        schedule();
      });
      return;
    }
    pacer_.start();
    tick();
    return;
  }
  auto wait = duration_cast<milliseconds>(pacer_.time_until_next() + microseconds(999));
  timer_ = loop_.post_after(std::max(wait, milliseconds(0)), [this] {
    timer_ = TimerHandle();
    tick();
  });
}

bool AudioPlayout::send_one() {
  while (!segments_.empty()) {
    auto& s = segments_.front();
    if (!s.started && (!s.frames.empty() || s.ended)) {
      s.started = true;
      if (handler_.on_segment_started) handler_.on_segment_started(s.id);
      if (paused_ || segments_.empty() || &segments_.front() != &s) return false;  // the callback paused or cleared
    }
    if (!s.frames.empty()) {
      auto frame = std::move(s.frames.front());
      s.frames.pop_front();
      ++s.played;
      ++frames_sent_;
      not_before_ = clock_.now() + duration_cast<nanoseconds>(pacer_.frame_duration());
      if (handler_.on_frame) handler_.on_frame(frame);
      if (s.frames.empty() && s.ended) {
        auto id = s.id;
        segments_.pop_front();
        if (handler_.on_segment_finished) handler_.on_segment_finished(id);
      }
      return true;
    }
    if (!s.ended) return false;  // underrun: TTS is behind
    auto id = s.id;               // an empty segment: finish it and go on to the next
    segments_.pop_front();
    if (handler_.on_segment_finished) handler_.on_segment_finished(id);
    if (paused_) return false;
  }
  return false;
}

void AudioPlayout::tick() {
  if (paused_) return;
  in_tick_ = true;
  int due = pacer_.take_due();
  bool underrun = false;
  for (int i = 0; i < due && !paused_; ++i) {
    if (!send_one()) {
      underrun = true;
      break;
    }
  }
  in_tick_ = false;
  if (paused_) return;
  bool starved = !segments_.empty() && segments_.front().frames.empty() && !segments_.front().ended;
  if (underrun || starved || segments_.empty()) {
    // Restart the schedule when audio comes again, rather than bursting to catch up.
    pacer_.stop();
    return;
  }
  schedule();
}

}  // namespace parley::voice
