// Receive-side jitter buffer for one Opus RTP stream. Packets go in as they arrive — in any order,
// duplicated, lost, with 16-bit sequence numbers and 32-bit timestamps that wrap — and one frame
// (20 ms) comes out per pull(), on the consumer's own clock:
//
// - playout is driven by RTP timestamps, not sequence numbers, so DTX (timestamps jump while
//   sequence numbers stay consecutive) and packets of 10/40/60 ms decode correctly;
// - a frame whose packet has not arrived when it is due is concealed by Opus PLC. While less
//   than the target delay is queued, the playout point waits (the packet may only be late, and
//   the delay grows by that frame); otherwise the packet counts as lost and playout moves on,
//   rebuilding the frame from the next packet's in-band FEC when that is here (RFC 6716 LBRR);
// - the target delay adapts: it starts at initial_delay, follows the measured interarrival
//   jitter (RFC 3550 6.4.1, three times the estimate), grows by one frame per underrun and
//   shrinks back slowly after 5 s without one; it never leaves [min_delay, max_delay]. When
//   more than two frames over the target are queued, one frame in ten is skipped;
// - memory is bounded (max_packets payloads of at most max_payload bytes), and latency too:
//   when more than max_delay is queued the oldest packets are dropped;
// - after max_concealed consecutive concealed frames with nothing queued, the stream is
//   considered paused and the buffer fills again before playing (silence meanwhile); the
//   underrun that began the pause was the sender stopping, not a late packet, so it does not
//   grow the target delay.
//
// A consumer that does not listen (the agent's VAD and recogniser) has no use for the delay: it
// takes frames as they arrive instead (pull_ready() after each push, pull_due() on each tick).
// The target delay then bounds only how long a missing packet is waited for, not when a packet
// that is here goes out.
//
// Not thread-safe: the call's media loop pushes and pulls.
#pragma once

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <span>

#include "core/clock.h"
#include "core/error.h"
#include "media/audio_frame.h"
#include "media/opus_decoder.h"

namespace parley::media {

struct JitterBufferOptions {
  int clock_rate = 48000;   // RTP clock rate (Opus: always 48000, RFC 7587)
  int sample_rate = 48000;  // output rate (Opus decodes to 8/12/16/24/48 kHz directly)
  int channels = 1;
  std::chrono::milliseconds frame{20};
  std::chrono::milliseconds initial_delay{60};
  std::chrono::milliseconds min_delay{40};
  std::chrono::milliseconds max_delay{200};
  size_t max_packets = 64;
  size_t max_payload = 1500;
  int max_concealed = 10;  // consecutive concealed frames before rebuffering
};

struct JitterBufferStats {
  uint64_t received = 0;        // packets accepted into the buffer
  uint64_t duplicates = 0;
  uint64_t late = 0;            // arrived after their time to play
  uint64_t lost = 0;            // sequence numbers never played
  uint64_t invalid = 0;         // empty, oversized or undecodable payloads
  uint64_t decoded = 0;         // packets decoded
  uint64_t fec_recovered = 0;   // frames recovered from the next packet's FEC
  uint64_t concealed = 0;       // frames made up by PLC
  uint64_t silence = 0;         // frames of silence while (re)buffering
  uint64_t underruns = 0;
  uint64_t overflow_drops = 0;  // packets dropped to bound memory or latency
  uint64_t accelerated = 0;     // frames skipped to bring the delay back to the target
  uint64_t resets = 0;          // the stream jumped (new timestamp base) and the buffer restarted
};

enum class FrameSource { kSilence, kDecoded, kFec, kConcealed };
std::string_view to_string(FrameSource s);

struct JitterFrame {
  AudioFrame audio;
  FrameSource source = FrameSource::kSilence;
};

class JitterBuffer {
 public:
  static Result<std::unique_ptr<JitterBuffer>> create(const Clock& clock, const JitterBufferOptions& options = {});

  // Takes one RTP packet's payload (copied). Errors for an invalid payload; a duplicate or late
  // packet is not an error (counted in stats).
  Status push(uint16_t sequence, uint32_t timestamp, std::span<const uint8_t> payload);
  // The next frame: exactly `frame` long at sample_rate × channels.
  JitterFrame pull();
  // As received (instead of pull()): the next frame if it is here, in order, with nothing
  // missing before it; call it until it gives nothing, after each push and each tick.
  std::optional<JitterFrame> pull_ready();
  // As received, once per frame tick: a frame only when the stream has fallen behind the ticks by
  // more than the target delay (the next packet is late or lost, or the sender stopped), and then
  // what pull() gives: concealment, FEC, or silence while the sender is quiet. So the consumer's
  // audio never runs ahead of real time, nor stops while the line is silent.
  std::optional<JitterFrame> pull_due();
  void reset();

  const JitterBufferStats& stats() const { return stats_; }
  std::chrono::milliseconds target_delay() const;
  std::chrono::milliseconds buffered() const;  // queued audio not yet played
  double jitter_ms() const;
  bool playing() const { return playing_; }
  const JitterBufferOptions& options() const { return options_; }

 private:
  struct Packet {
    int64_t seq;
    int64_t duration;  // in clock units
    SecureVector<uint8_t> payload;
  };

  JitterBuffer(const Clock& clock, const JitterBufferOptions& options, std::unique_ptr<OpusDecoder> decoder);
  int64_t to_ts(std::chrono::milliseconds d) const { return static_cast<int64_t>(options_.clock_rate) * d.count() / 1000; }
  // Within a quarter frame of the playout point counts as "now": senders' timestamps need not
  // sit on our frame grid.
  int64_t tolerance_ts() const { return frame_ts_ / 4; }
  // Three times the jitter estimate, rounded up to whole frames: the delay that covers nearly
  // every late packet.
  int64_t jitter_delay_ts() const {
    return (static_cast<int64_t>(std::ceil(3.0 * jitter_)) + frame_ts_ - 1) / frame_ts_ * frame_ts_;
  }
  // One frame's samples, all channels.
  size_t frame_len() const { return static_cast<size_t>(frame_samples_) * static_cast<size_t>(options_.channels); }
  int64_t unwrap_seq(uint16_t seq) const;
  int64_t unwrap_ts(uint32_t ts) const;
  bool recently_played(int64_t seq) const;
  void note_played(int64_t seq);
  void update_jitter(int64_t ts);
  void enforce_bounds();
  bool ready_to_start() const;
  void age_target();
  void start_playing();
  void drop_late_front();
  bool front_is_due() const;
  bool whole_frame_is_here() const;
  JitterFrame play_front(bool may_accelerate);
  bool decode_front();
  JitterFrame take_frame(FrameSource source);
  // PLC (or FEC from `fec_from`); `advance` skips the missing frame, else the playout point stays.
  JitterFrame conceal(std::span<const uint8_t> fec_from, bool advance);
  JitterFrame silence();
  int64_t queued_end() const;

  const Clock& clock_;
  JitterBufferOptions options_;
  std::unique_ptr<OpusDecoder> decoder_;
  int64_t frame_ts_;       // one frame in clock units
  int frame_samples_;      // one frame in output samples per channel

  std::map<int64_t, Packet> packets_;  // by extended timestamp
  bool have_ref_ = false;
  int64_t max_seq_ = 0;
  int64_t max_ts_ = 0;
  bool playing_ = false;
  bool played_any_ = false;
  int64_t next_ts_ = 0;       // timestamp of the next sample to decode
  int64_t last_played_seq_ = std::numeric_limits<int64_t>::min();
  std::array<int64_t, 64> played_ring_{};
  size_t played_pos_ = 0;
  SecureVector<int16_t> carry_;  // decoded samples not yet handed out (packets > 1 frame)
  FrameSource carry_source_ = FrameSource::kDecoded;
  int consecutive_concealed_ = 0;
  Clock::time_point buffering_since_{};
  bool buffering_timer_ = false;

  // Jitter (RFC 3550 6.4.1) in clock units, and the adaptive target.
  bool have_transit_ = false;
  double transit_ = 0;
  double jitter_ = 0;
  int64_t target_ts_;
  int64_t underrun_growth_ = 0;  // what the underrun of the current concealment run added
  int pulls_since_underrun_ = 0;
  int pulls_since_accelerate_ = 0;
  // As received: frames handed out minus frame ticks (pull_due) since playing started, and its
  // lowest value over the last ticks.
  int64_t ahead_frames_ = 0;
  int64_t lowest_ahead_ = 0;
  int ticks_since_lowest_ = 0;

  JitterBufferStats stats_;
};

}  // namespace parley::media
