#include "media/wav_reader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

namespace parley::media {

namespace {

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

tl::unexpected<Error> bad(const std::string& what) {
  return make_error(ErrorCode::kInvalidArgument, "wav: " + what);
}

constexpr uint16_t kFormatPcm = 1;
constexpr uint16_t kFormatExtensible = 0xFFFE;
// The KSDATAFORMAT_SUBTYPE_PCM GUID's tail after its first two bytes (which repeat the format).
constexpr uint8_t kPcmGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                      0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

struct Format {
  int channels;
  int rate;
};

Result<Format> parse_fmt(const uint8_t* p, uint32_t size) {
  if (size < 16) return bad("fmt chunk is " + std::to_string(size) + " bytes, at least 16 needed");
  uint16_t tag = le16(p);
  uint16_t channels = le16(p + 2);
  uint32_t rate = le32(p + 4);
  uint32_t byte_rate = le32(p + 8);
  uint16_t block_align = le16(p + 12);
  uint16_t bits = le16(p + 14);
  if (tag == kFormatExtensible) {
    if (size < 40) return bad("WAVE_FORMAT_EXTENSIBLE fmt chunk is " + std::to_string(size) + " bytes, 40 needed");
    uint16_t sub = le16(p + 24);
    if (sub != kFormatPcm || std::memcmp(p + 26, kPcmGuidTail, sizeof kPcmGuidTail) != 0) {
      return bad("extensible format is not PCM (only 16-bit PCM is supported)");
    }
  } else if (tag != kFormatPcm) {
    return bad("audio format " + std::to_string(tag) + " is not PCM (only 16-bit PCM is supported)");
  }
  if (bits != 16) return bad(std::to_string(bits) + "-bit samples (only 16-bit PCM is supported)");
  if (channels < 1 || channels > 8) return bad(std::to_string(channels) + " channels (1 … 8 supported)");
  if (rate < 1000 || rate > 384000) return bad("sample rate " + std::to_string(rate) + " Hz (1000 … 384000 supported)");
  if (block_align != channels * 2) {
    return bad("block align " + std::to_string(block_align) + " does not match " + std::to_string(channels) +
               " channels × 16 bits");
  }
  if (byte_rate != rate * block_align) {
    return bad("byte rate " + std::to_string(byte_rate) + " does not match the sample rate × block align");
  }
  return Format{channels, static_cast<int>(rate)};
}

}  // namespace

Result<WavAudio> WavReader::parse(std::span<const uint8_t> bytes) {
  const uint8_t* b = bytes.data();
  const size_t n = bytes.size();
  if (n > kMaxFileBytes) return bad("file is larger than 1 GiB");
  if (n < 12) return bad("file is " + std::to_string(n) + " bytes, too short for a RIFF header");
  if (std::memcmp(b, "RIFF", 4) != 0) {
    if (std::memcmp(b, "RIFX", 4) == 0) return bad("big-endian RIFX files are not supported");
    return bad("not a RIFF file (no 'RIFF' at the start)");
  }
  if (std::memcmp(b + 8, "WAVE", 4) != 0) return bad("RIFF file is not WAVE");
  // The RIFF size may be wrong in files written by streams; the chunks are checked one by one.
  std::optional<Format> fmt;
  size_t pos = 12;
  while (pos + 8 <= n) {
    const uint8_t* id = b + pos;
    uint32_t size = le32(b + pos + 4);
    size_t body = pos + 8;
    size_t available = n - body;
    if (std::memcmp(id, "fmt ", 4) == 0) {
      if (fmt) return bad("more than one fmt chunk");
      if (size > available) return bad("fmt chunk is truncated");
      auto f = parse_fmt(b + body, size);
      if (!f) return tl::unexpected(f.error());
      fmt = *f;
    } else if (std::memcmp(id, "data", 4) == 0) {
      if (!fmt) return bad("data chunk before the fmt chunk");
      size_t len = size;
      // 0xFFFFFFFF (and 0 from some pipes) = "until the end": written by tools that stream a
      // header before knowing the length (sox, ffmpeg to a pipe).
      if (size == 0xFFFFFFFFu || (size == 0 && available > 0)) len = available;
      if (len > available) {
        return bad("data chunk says " + std::to_string(size) + " bytes but only " + std::to_string(available) +
                   " follow (truncated file)");
      }
      const size_t block = static_cast<size_t>(fmt->channels) * 2;
      if (len % block != 0) {
        if (len == available) {
          len -= len % block;  // a stream cut mid-sample: keep the whole frames
        } else {
          return bad("data chunk of " + std::to_string(len) + " bytes is not a whole number of " +
                     std::to_string(block) + "-byte frames");
        }
      }
      WavAudio out;
      out.sample_rate = fmt->rate;
      out.channels = fmt->channels;
      out.samples.resize(len / 2);
      for (size_t i = 0; i < out.samples.size(); ++i) out.samples[i] = static_cast<int16_t>(le16(b + body + 2 * i));
      return out;
    } else if (size > available) {
      return bad("chunk '" + std::string(reinterpret_cast<const char*>(id), 4) + "' is truncated");
    }
    // Chunks are padded to an even size (RIFF).
    pos = body + static_cast<size_t>(size) + (size & 1u);
  }
  if (pos < n) return bad("chunk header at byte " + std::to_string(pos) + " is truncated");
  if (!fmt) return bad("no fmt chunk");
  return bad("no data chunk");
}

Result<WavAudio> WavReader::read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return make_error(ErrorCode::kNotFound, "wav: cannot open '" + path + "': " + std::strerror(errno));
  }
  std::streamoff size = in.tellg();
  if (size < 0) return make_error(ErrorCode::kInvalidArgument, "wav: cannot read '" + path + "'");
  if (static_cast<size_t>(size) > kMaxFileBytes) return bad("'" + path + "' is larger than 1 GiB");
  SecureVector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    return make_error(ErrorCode::kInvalidArgument, "wav: cannot read '" + path + "'");
  }
  auto r = parse(bytes);
  if (!r) return make_error(r.error().code, r.error().message + " ('" + path + "')");
  return r;
}

}  // namespace parley::media
