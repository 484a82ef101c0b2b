#include "media/wav_writer.h"

#include <cerrno>
#include <cstring>

namespace parley::media {

namespace {

// The RIFF sizes are 32-bit.
constexpr uint64_t kMaxDataBytes = 0xFFFFFFFFull - 36;

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void header(uint8_t* h, int rate, int channels, uint32_t data_bytes) {
  std::memcpy(h, "RIFF", 4);
  put32(h + 4, 36 + data_bytes);
  std::memcpy(h + 8, "WAVEfmt ", 8);
  put32(h + 16, 16);
  put16(h + 20, 1);  // PCM
  put16(h + 22, static_cast<uint16_t>(channels));
  put32(h + 24, static_cast<uint32_t>(rate));
  put32(h + 28, static_cast<uint32_t>(rate * channels * 2));
  put16(h + 32, static_cast<uint16_t>(channels * 2));
  put16(h + 34, 16);
  std::memcpy(h + 36, "data", 4);
  put32(h + 40, data_bytes);
}

Status check_format(int rate, int channels) {
  if (rate < 1000 || rate > 384000 || channels < 1 || channels > 8) {
    return make_error(ErrorCode::kInvalidArgument, "wav: cannot write " + std::to_string(rate) + " Hz × " +
                                                       std::to_string(channels) + " channels");
  }
  return {};
}

Error io_error(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kUnavailable, "wav: " + what + " '" + path + "': " + std::strerror(errno));
}

}  // namespace

Result<SecureVector<uint8_t>> WavWriter::encode(const WavAudio& audio) {
  if (auto st = check_format(audio.sample_rate, audio.channels); !st) return tl::unexpected(st.error());
  uint64_t bytes = audio.samples.size() * 2;
  if (bytes > kMaxDataBytes) return make_error(ErrorCode::kInvalidArgument, "wav: clip longer than 4 GiB");
  SecureVector<uint8_t> out(44 + bytes);
  header(out.data(), audio.sample_rate, audio.channels, static_cast<uint32_t>(bytes));
  for (size_t i = 0; i < audio.samples.size(); ++i) {
    put16(out.data() + 44 + 2 * i, static_cast<uint16_t>(audio.samples[i]));
  }
  return out;
}

Status WavWriter::write_file(const std::string& path, const WavAudio& audio) {
  WavWriter w;
  if (auto st = w.open(path, audio.sample_rate, audio.channels); !st) return st;
  if (auto st = w.write(audio.samples); !st) return st;
  return w.close();
}

WavWriter::~WavWriter() {
  if (file_ != nullptr) (void)close();
}

Status WavWriter::open(const std::string& path, int sample_rate, int channels) {
  if (file_ != nullptr) return make_error(ErrorCode::kInvalidArgument, "wav: writer already open");
  if (auto st = check_format(sample_rate, channels); !st) return st;
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) return tl::unexpected(io_error("cannot create", path));
  path_ = path;
  sample_rate_ = sample_rate;
  channels_ = channels;
  data_bytes_ = 0;
  uint8_t h[44];
  header(h, sample_rate, channels, 0);
  if (std::fwrite(h, 1, sizeof h, file_) != sizeof h) {
    Error e = io_error("cannot write", path);
    std::fclose(file_);
    file_ = nullptr;
    return tl::unexpected(e);
  }
  return {};
}

Status WavWriter::write(std::span<const int16_t> interleaved) {
  if (file_ == nullptr) return make_error(ErrorCode::kInvalidArgument, "wav: writer is not open");
  if (interleaved.size() % static_cast<size_t>(channels_) != 0) {
    return make_error(ErrorCode::kInvalidArgument, "wav: sample count is not a multiple of the channels");
  }
  if (data_bytes_ + interleaved.size() * 2 > kMaxDataBytes) {
    return make_error(ErrorCode::kResourceExhausted, "wav: file would exceed 4 GiB");
  }
  uint8_t buf[4096];
  size_t i = 0;
  while (i < interleaved.size()) {
    size_t n = std::min(interleaved.size() - i, sizeof buf / 2);
    for (size_t k = 0; k < n; ++k) put16(buf + 2 * k, static_cast<uint16_t>(interleaved[i + k]));
    if (std::fwrite(buf, 2, n, file_) != n) return tl::unexpected(io_error("cannot write", path_));
    i += n;
  }
  secure_zero(buf, sizeof buf);
  data_bytes_ += interleaved.size() * 2;
  return {};
}

Status WavWriter::write(const AudioFrame& frame) {
  if (frame.sample_rate != sample_rate_ || frame.channels != channels_) {
    return make_error(ErrorCode::kInvalidArgument, "wav: frame format differs from the file's");
  }
  return write(frame.samples());
}

Status WavWriter::close() {
  if (file_ == nullptr) return {};
  uint8_t h[44];
  header(h, sample_rate_, channels_, static_cast<uint32_t>(data_bytes_));
  bool ok = std::fseek(file_, 0, SEEK_SET) == 0 && std::fwrite(h, 1, sizeof h, file_) == sizeof h;
  Error e = ok ? Error() : io_error("cannot finish", path_);
  ok = (std::fclose(file_) == 0) && ok;
  if (!ok && e.message.empty()) e = io_error("cannot close", path_);
  file_ = nullptr;
  if (!ok) return tl::unexpected(e);
  return {};
}

}  // namespace parley::media
