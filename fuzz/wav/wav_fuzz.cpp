// Any bytes into the WAV parser: never a crash, an out-of-bounds read or an allocation beyond
// the input's size; what it accepts is self-consistent and survives a write/read round trip.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "media/wav_reader.h"
#include "media/wav_writer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto wav = parley::media::WavReader::parse(std::span<const uint8_t>(data, size));
  if (!wav) {
    if (wav.error().message.empty()) std::abort();
    return 0;
  }
  if (wav->channels < 1 || wav->channels > 8 || wav->sample_rate < 1000) std::abort();
  if (wav->samples.size() % static_cast<size_t>(wav->channels) != 0) std::abort();
  if (wav->samples.size() * 2 > size) std::abort();
  auto bytes = parley::media::WavWriter::encode(*wav);
  if (!bytes) std::abort();
  auto again = parley::media::WavReader::parse(*bytes);
  if (!again || again->samples != wav->samples || again->sample_rate != wav->sample_rate ||
      again->channels != wav->channels) {
    std::abort();
  }
  return 0;
}
