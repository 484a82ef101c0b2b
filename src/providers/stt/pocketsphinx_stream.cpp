#include "providers/stt/pocketsphinx_stream.h"

#include <algorithm>

#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>

#include "providers/stt/pocketsphinx_stt.h"

namespace parley::providers {

namespace {
constexpr int kRate = 16000;
ps_decoder_t* native(const PocketsphinxDecoder& d) { return static_cast<ps_decoder_t*>(d.ps); }
}  // namespace

PocketsphinxStream::PocketsphinxStream(std::shared_ptr<PocketsphinxStt> provider, PocketsphinxDecoder decoder,
                                       int interim_interval_ms, std::shared_ptr<SttChannel> channel,
                                       int decode_batch_ms)
    : provider_(std::move(provider)),
      decoder_(decoder),
      channel_(std::move(channel)),
      interim_samples_(kRate * interim_interval_ms / 1000),
      batch_samples_(static_cast<size_t>(kRate * std::max(decode_batch_ms, 0) / 1000)),
      resampler_(kRate),
      line_(channel_ ? channel_->line : media::NarrowbandLine::Kind::kUnknown) {
  static_assert(kRate == media::NarrowbandLine::kRate);
  queued_.reserve(batch_samples_ + kRate / 50);  // a batch and one more frame: no reallocation per frame
  // A decoder from the pool still carries another call's channel estimates (cepstral mean,
  // noise level): start from this call's own mean, or the model's initial one, so that no
  // call's audio shapes another's recognition.
  ps_start_stream(native(decoder_));
  cmn_t* cmn = ps_get_feat(native(decoder_))->cmn_struct;
  if (cmn == nullptr) return;
  const auto veclen = static_cast<size_t>(cmn->veclen);
  const auto& initial = provider_->initial_cmn();
  if (channel_ && channel_->estimate.size() == veclen) {
    cmn_live_set(cmn, channel_->estimate.data());
  } else if (initial.size() == veclen) {
    cmn_live_set(cmn, initial.data());
  }
}

PocketsphinxStream::~PocketsphinxStream() {
  if (in_utterance_) ps_end_utt(native(decoder_));
  provider_->release(decoder_);
}

Status PocketsphinxStream::feed(std::span<const int16_t> pcm16k, bool now) {
  if (!pcm16k.empty()) {
    const std::span<const int16_t> pcm = line_.process(pcm16k);
    if (channel_) channel_->line = line_.kind();
    queued_.insert(queued_.end(), pcm.begin(), pcm.end());
  }
  if (queued_.empty() || (!now && queued_.size() < batch_samples_)) return {};
  return decode_queued();
}

Status PocketsphinxStream::decode_queued() {
  if (!in_utterance_) {
    if (ps_start_utt(native(decoder_)) < 0) return make_error(ErrorCode::kInternal, "pocketsphinx: cannot start an utterance");
    in_utterance_ = true;
    samples_since_interim_ = 0;
    last_interim_.clear();
  }
  const int rc = ps_process_raw(native(decoder_), queued_.data(), queued_.size(), FALSE, FALSE);
  samples_since_interim_ += static_cast<int>(queued_.size());
  queued_.clear();
  if (rc < 0) return make_error(ErrorCode::kInternal, "pocketsphinx: decoding failed");
  return {};
}

std::string PocketsphinxStream::hypothesis() {
  int32 score = 0;
  const char* hyp = ps_get_hyp(native(decoder_), &score);
  return hyp ? std::string(hyp) : std::string();
}

Result<std::vector<SttEvent>> PocketsphinxStream::push_frame(const media::AudioFrame& frame) {
  if (!frame.valid() || frame.sample_rate <= 0) return make_error(ErrorCode::kInvalidArgument, "stt: malformed audio frame");
  if (const int was = resampler_.input_rate(); was != 0 && frame.sample_rate != was) {
    return make_error(ErrorCode::kInvalidArgument, "stt: the stream's sample rate changed from " + std::to_string(was) +
                                                       " to " + std::to_string(frame.sample_rate));
  }
  media::SecureVector<int16_t> pcm;
  Status st = resampler_.push(frame, pcm);
  if (st) st = feed(pcm, false);
  if (!st) return tl::unexpected(st.error());
  std::vector<SttEvent> events;
  if (in_utterance_ && samples_since_interim_ >= interim_samples_) {
    samples_since_interim_ = 0;
    std::string hyp = hypothesis();
    if (!hyp.empty() && hyp != last_interim_) {
      last_interim_ = hyp;
      events.push_back(SttEvent{SttEventType::kInterim, std::move(hyp), "en"});
    }
  }
  return events;
}

Result<SttEvent> PocketsphinxStream::flush() {
  media::SecureVector<int16_t> tail;
  if (auto st = resampler_.flush(tail); !st) return tl::unexpected(st.error());
  if (auto st = feed(tail, true); !st) return tl::unexpected(st.error());
  SttEvent final_event{SttEventType::kFinal, "", "en"};
  if (!in_utterance_) return final_event;
  in_utterance_ = false;
  if (ps_end_utt(native(decoder_)) < 0) return make_error(ErrorCode::kInternal, "pocketsphinx: cannot end the utterance");
  final_event.text = hypothesis();
  // The mean now includes this utterance (live CMN updates it at the utterance's end): the
  // call's next utterance starts from it.
  if (const cmn_t* cmn = ps_get_feat(native(decoder_))->cmn_struct; channel_ && cmn != nullptr) {
    channel_->estimate.assign(cmn->cmn_mean, cmn->cmn_mean + cmn->veclen);
  }
  return final_event;
}

}  // namespace parley::providers
