#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "media/test_signal.h"
#include "media/wav_reader.h"
#include "media/wav_writer.h"

namespace parley::media {
namespace {

std::vector<uint8_t> bytes_of(const WavAudio& a) {
  auto b = WavWriter::encode(a);
  EXPECT_TRUE(b);
  return std::vector<uint8_t>(b->begin(), b->end());
}

WavAudio clip(int rate = 16000, int channels = 1) {
  WavAudio a;
  a.sample_rate = rate;
  a.channels = channels;
  auto t = test::tone(rate, 440.0, 0.25);
  for (int16_t s : t) {
    for (int c = 0; c < channels; ++c) a.samples.push_back(static_cast<int16_t>(s / (c + 1)));
  }
  return a;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("parley_wav_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}
void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}

std::string error_of(const std::vector<uint8_t>& b) {
  auto r = WavReader::parse(b);
  EXPECT_FALSE(r);
  return r ? "" : r.error().message;
}

TEST(Wav, RoundTripInMemory) {
  for (int ch : {1, 2}) {
    WavAudio a = clip(22050, ch);
    auto r = WavReader::parse(bytes_of(a));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->sample_rate, 22050);
    EXPECT_EQ(r->channels, ch);
    EXPECT_EQ(r->samples, a.samples);
    EXPECT_EQ(r->frames(), static_cast<int>(a.samples.size()) / ch);
  }
}

TEST(Wav, RoundTripThroughAFileAndTheStreamingWriter) {
  const std::string path = temp_path("stream.wav");
  WavAudio a = clip(48000, 1);
  {
    WavWriter w;
    ASSERT_TRUE(w.open(path, 48000, 1));
    // In 20 ms frames, as a call recorder would.
    for (size_t i = 0; i < a.samples.size(); i += 960) {
      auto part = std::span<const int16_t>(a.samples).subspan(i, std::min<size_t>(960, a.samples.size() - i));
      ASSERT_TRUE(w.write(AudioFrame::from_samples(48000, 1, part)));
    }
    EXPECT_FALSE(w.write(AudioFrame::silence(16000, 1, std::chrono::milliseconds(20))));
    ASSERT_TRUE(w.close());
  }
  auto r = WavReader::read_file(path);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->samples, a.samples);
  // The header sizes were patched on close.
  EXPECT_EQ(std::filesystem::file_size(path), 44 + a.samples.size() * 2);
  std::filesystem::remove(path);

  ASSERT_TRUE(WavWriter::write_file(path, a));
  auto r2 = WavReader::read_file(path);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->samples, a.samples);
  EXPECT_EQ(r2->to_frame().samples_per_channel, r2->frames());
  std::filesystem::remove(path);
}

TEST(Wav, SkipsUnknownChunksWithPadding) {
  auto b = bytes_of(clip());
  // Insert a 3-byte LIST chunk (padded to 4) between fmt and data.
  std::vector<uint8_t> list{'L', 'I', 'S', 'T', 3, 0, 0, 0, 'a', 'b', 'c', 0};
  b.insert(b.begin() + 36, list.begin(), list.end());
  put32(b, 4, static_cast<uint32_t>(b.size() - 8));
  auto r = WavReader::parse(b);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->samples, clip().samples);
}

TEST(Wav, AcceptsExtensiblePcmAndStreamedLength) {
  WavAudio a = clip();
  auto plain = bytes_of(a);
  // WAVE_FORMAT_EXTENSIBLE: a 40-byte fmt chunk with the PCM sub-format GUID.
  std::vector<uint8_t> b(plain.begin(), plain.begin() + 36);
  put32(b, 16, 40);
  put16(b, 20, 0xFFFE);
  const uint8_t ext[24] = {22, 0, 16, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71};
  b.insert(b.end(), ext, ext + 24);
  b.insert(b.end(), plain.begin() + 36, plain.end());
  auto r = WavReader::parse(b);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->samples, a.samples);

  // A header written before the length was known (sox or ffmpeg to a pipe).
  auto streamed = plain;
  put32(streamed, 40, 0xFFFFFFFFu);
  put32(streamed, 4, 0xFFFFFFFFu);
  auto r2 = WavReader::parse(streamed);
  ASSERT_TRUE(r2) << r2.error().to_string();
  EXPECT_EQ(r2->samples, a.samples);
}

TEST(Wav, RejectsMalformedFiles) {
  const auto good = bytes_of(clip());
  EXPECT_NE(error_of({}).find("too short"), std::string::npos);
  auto b = good;
  std::memcpy(b.data(), "RIFX", 4);
  EXPECT_NE(error_of(b).find("big-endian"), std::string::npos);
  b = good;
  std::memcpy(b.data(), "OggS", 4);
  EXPECT_NE(error_of(b).find("not a RIFF file"), std::string::npos);
  b = good;
  std::memcpy(b.data() + 8, "AVI ", 4);
  EXPECT_NE(error_of(b).find("not WAVE"), std::string::npos);
  b = good;
  put16(b, 20, 3);  // IEEE float
  EXPECT_NE(error_of(b).find("audio format 3 is not PCM"), std::string::npos);
  b = good;
  put16(b, 34, 8);
  put16(b, 32, 1);
  put32(b, 28, 16000);
  EXPECT_NE(error_of(b).find("8-bit samples"), std::string::npos);
  b = good;
  put16(b, 22, 0);
  EXPECT_NE(error_of(b).find("0 channels"), std::string::npos);
  b = good;
  put32(b, 24, 0);
  EXPECT_NE(error_of(b).find("sample rate 0"), std::string::npos);
  b = good;
  put16(b, 32, 4);
  EXPECT_NE(error_of(b).find("block align"), std::string::npos);
  b = good;
  put32(b, 28, 12345);
  EXPECT_NE(error_of(b).find("byte rate"), std::string::npos);
  b = good;
  b.resize(b.size() - 100);  // truncated data
  EXPECT_NE(error_of(b).find("truncated"), std::string::npos);
  b = good;
  b.resize(30);  // truncated fmt
  EXPECT_NE(error_of(b).find("fmt chunk is truncated"), std::string::npos);
  b = good;
  b.resize(40);  // the data chunk's header cut in half
  EXPECT_NE(error_of(b).find("chunk header at byte 36 is truncated"), std::string::npos);
  b = good;
  b.resize(36);  // no data chunk
  EXPECT_NE(error_of(b).find("no data chunk"), std::string::npos);
  b = good;
  put32(b, 16, 8);  // fmt chunk too small
  EXPECT_NE(error_of(b).find("at least 16"), std::string::npos);
  b = good;
  std::memcpy(b.data() + 12, "junk", 4);  // fmt chunk renamed: data comes first
  EXPECT_NE(error_of(b).find("data chunk before the fmt chunk"), std::string::npos);
  b = good;
  put32(b, 40, 3);  // an odd data length with more chunks after it would be misaligned
  b.push_back(0);
  EXPECT_NE(error_of(b).find("whole number"), std::string::npos);

  auto missing = WavReader::read_file("/nonexistent/parley.wav");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("/nonexistent/parley.wav"), std::string::npos);
}

TEST(Wav, WriterRejectsBadFormatsAndPaths) {
  WavAudio a = clip();
  a.sample_rate = 0;
  EXPECT_FALSE(WavWriter::encode(a));
  EXPECT_FALSE(WavWriter::write_file("/nonexistent/dir/x.wav", clip()));
  WavWriter w;
  EXPECT_FALSE(w.write(std::span<const int16_t>()));  // not open
}

}  // namespace
}  // namespace parley::media
