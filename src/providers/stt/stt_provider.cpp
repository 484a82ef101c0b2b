#include "providers/stt/stt_provider.h"

#include <algorithm>

namespace parley::providers {

std::string_view to_string(SttEventType t) {
  switch (t) {
    case SttEventType::kInterim: return "interim";
    case SttEventType::kFinal: return "final";
  }
  return "?";
}

Result<SttEvent> SttProvider::recognize(const media::AudioFrame& clip, const SttRequest& request) {
  auto stream = open_stream(request);
  if (!stream) return tl::unexpected(stream.error());
  if (!clip.valid()) return make_error(ErrorCode::kInvalidArgument, "stt: malformed audio clip");
  // In 100 ms pieces, as a stream would see it.
  const size_t step = static_cast<size_t>(std::max(1, clip.sample_rate / 10)) * static_cast<size_t>(clip.channels);
  for (size_t i = 0; i < clip.data.size(); i += step) {
    auto part = std::span<const int16_t>(clip.data).subspan(i, std::min(step, clip.data.size() - i));
    auto events = (*stream)->push_frame(media::AudioFrame::from_samples(clip.sample_rate, clip.channels, part));
    if (!events) return tl::unexpected(events.error());
  }
  return (*stream)->flush();
}

}  // namespace parley::providers
