// Writes 16-bit PCM RIFF/WAVE files: either a whole clip at once (write_file, encode) or a
// stream (open, write…, close) whose header is patched with the final length on close.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "core/error.h"
#include "media/wav_reader.h"

namespace parley::media {

class WavWriter {
 public:
  // The bytes of a complete file.
  static Result<SecureVector<uint8_t>> encode(const WavAudio& audio);
  static Status write_file(const std::string& path, const WavAudio& audio);

  WavWriter() = default;
  ~WavWriter();  // closes (and finalises) an open file
  WavWriter(const WavWriter&) = delete;
  WavWriter& operator=(const WavWriter&) = delete;

  Status open(const std::string& path, int sample_rate, int channels);
  Status write(std::span<const int16_t> interleaved);
  Status write(const AudioFrame& frame);
  // Patches the sizes into the header and closes the file.
  Status close();
  bool is_open() const { return file_ != nullptr; }

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
  int sample_rate_ = 0;
  int channels_ = 0;
  uint64_t data_bytes_ = 0;
};

}  // namespace parley::media
