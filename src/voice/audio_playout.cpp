#include "voice/audio_playout.h"

#include <algorithm>

namespace parley::voice {

AudioPlayout::AudioPlayout(EventLoop& loop, int sample_rate, Handler handler)
    : loop_(loop), sample_rate_(sample_rate), handler_(std::move(handler)) {
  // The listener runs on the consumer's thread (the media loop): it only posts the event here.
  ring_ = std::make_shared<media::FrameRing>(
      [loop = &loop_, weak = std::weak_ptr<bool>(alive_), this](const media::FrameRing::Event& e) {
        loop->post([weak, this, e] {
          if (weak.lock()) on_event(e);
        });
      });
}

AudioPlayout::~AudioPlayout() {
  alive_.reset();
  ring_->clear();  // the track may hold the ring a little longer: it plays nothing more of ours
}

AudioPlayout::Segment* AudioPlayout::find(uint64_t id) {
  for (auto& s : segments_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const AudioPlayout::Segment* AudioPlayout::find(uint64_t id) const {
  for (const auto& s : segments_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

AudioPlayout::Segment& AudioPlayout::get(uint64_t id) {
  if (auto* s = find(id)) return *s;
  segments_.push_back(Segment{id, {}, media::FrameAssembler(sample_rate_, 1)});
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
  fill();
}

void AudioPlayout::end_segment(uint64_t segment) {
  auto& s = get(segment);
  if (s.ended) return;
  if (auto f = s.assembler.pop_padded()) {
    s.frames.push_back(std::move(*f));
    ++s.total;
  }
  s.ended = true;
  fill();
}

void AudioPlayout::pause() { ring_->pause(); }

void AudioPlayout::resume() {
  ring_->resume();
  fill();
}

void AudioPlayout::clear() {
  segments_.clear();
  ring_->clear();
}

int AudioPlayout::played_frames(uint64_t segment) const {
  const auto* s = find(segment);
  if (!s || s->in_ring == 0) return 0;
  // A segment's frames are consecutive in the ring, so the last frame pulled says how many of
  // them have left.
  const auto last = ring_->last_pulled_seq();
  if (last < s->first_seq) return 0;
  return static_cast<int>(std::min<uint64_t>(last - s->first_seq + 1, static_cast<uint64_t>(s->in_ring)));
}

int AudioPlayout::total_frames(uint64_t segment) const {
  const auto* s = find(segment);
  return s ? s->total : 0;
}

void AudioPlayout::fill() {
  for (auto& s : segments_) {
    if (s.end_queued) continue;
    for (;;) {
      if (ring_->free_slots() == 0) {
        // Ask to be woken once the ring has drained to half; a pull may have made room since.
        ring_->want_room();
        if (ring_->free_slots() == 0) return;
      }
      media::FrameRing::Entry e;
      e.segment = s.id;
      e.starts = !s.start_queued;
      if (!s.frames.empty()) {
        e.ends = s.ended && s.frames.size() == 1;
        e.frame = std::move(s.frames.front());
        s.frames.pop_front();
        const auto seq = ring_->next_frame_seq();
        (void)ring_->push(std::move(e));
        if (s.in_ring++ == 0) s.first_seq = seq;
      } else if (s.ended) {
        e.ends = true;  // the end mark alone (or, for a segment without audio, both marks)
        (void)ring_->push(std::move(e));
      } else {
        return;  // waiting for this segment's audio; later segments wait behind it
      }
      s.start_queued = true;
      if (e.ends) {
        s.end_queued = true;
        break;
      }
    }
  }
}

void AudioPlayout::on_event(const media::FrameRing::Event& e) {
  if (e.kind == media::FrameRing::Event::kRoom) return fill();
  if (e.generation != ring_->generation()) return;  // cleared since
  if (e.kind == media::FrameRing::Event::kStarted) {
    if (handler_.on_segment_started) handler_.on_segment_started(e.segment, e.audible);
    return;
  }
  // Finished: segments finish in order, so it is the first one.
  if (segments_.empty() || segments_.front().id != e.segment) return;
  segments_.pop_front();
  if (handler_.on_segment_finished) handler_.on_segment_finished(e.segment);
}

}  // namespace parley::voice
