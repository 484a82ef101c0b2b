#include "core/log.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

namespace parley::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_sink([this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
    set_level(Level::kTrace);
    set_format(Format::kText);
  }
  void TearDown() override {
    set_sink(nullptr);
    clear_secrets();
    set_level(Level::kInfo);
    set_format(Format::kText);
  }
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST_F(LogTest, CallLoggerCarriesCallIdAndRoomInText) {
  Logger::for_call("CA_1", "room-7").info("caller joined", {{"caller", "+15551234"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("INFO  caller joined"), std::string::npos);
  EXPECT_NE(lines_[0].find("call_id=CA_1"), std::string::npos);
  EXPECT_NE(lines_[0].find("room=room-7"), std::string::npos);
  EXPECT_NE(lines_[0].find("caller=+15551234"), std::string::npos);
}

TEST_F(LogTest, MaskingReplacesEverywhereInTheLoggersLinesAndTravelsWithWith) {
  auto masked = Logger::for_call("SCL_1", "call_+15551234567_Ab").masking({{"+15551234567", "+1555***4567"}});
  masked.with("caller", "sip_+15551234567").info("joined +15551234567", {{"n", "+15551234567"}});
  root().info("unmasked +15551234567");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(lines_[0].find("15551234567"), std::string::npos) << lines_[0];
  EXPECT_NE(lines_[0].find("room=call_+1555***4567_Ab"), std::string::npos) << lines_[0];
  EXPECT_NE(lines_[0].find("caller=sip_+1555***4567"), std::string::npos) << lines_[0];
  EXPECT_NE(lines_[0].find("joined +1555***4567"), std::string::npos) << lines_[0];
  // Only that logger masks: nothing global.
  EXPECT_NE(lines_[1].find("+15551234567"), std::string::npos);
}

TEST_F(LogTest, JsonLinesAreObjectsWithCallFields) {
  set_format(Format::kJson);
  Logger::for_call("CA_2", "r").with("attempt", 3).warn("retrying \"join\"", {{"ms", 250}});
  ASSERT_EQ(lines_.size(), 1u);
  auto j = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["msg"], "retrying \"join\"");
  EXPECT_EQ(j["call_id"], "CA_2");
  EXPECT_EQ(j["room"], "r");
  EXPECT_EQ(j["attempt"], 3);
  EXPECT_EQ(j["ms"], 250);
  EXPECT_TRUE(j.contains("ts"));
}

TEST_F(LogTest, LevelsFilter) {
  set_level(Level::kWarn);
  root().info("hidden");
  root().debug("hidden");
  root().error("shown");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("shown"), std::string::npos);
}

TEST_F(LogTest, RegisteredSecretsAreRedactedWhereverTheyAppear) {
  add_secret("s3cr3t-value-xyz");
  root().info("token s3cr3t-value-xyz in message", {{"field", "pre-s3cr3t-value-xyz-post"}});
  set_format(Format::kJson);
  root().with("ctx", "s3cr3t-value-xyz").error("again");
  for (const auto& l : lines_) {
    EXPECT_EQ(l.find("s3cr3t-value-xyz"), std::string::npos) << l;
    EXPECT_NE(l.find("[redacted]"), std::string::npos) << l;
  }
}

// JWT-shaped tokens are redacted by shape; a word that merely starts with "eyJ", or a base64
// fragment with fewer than three parts, is left alone.
TEST_F(LogTest, TokensAreRedactedByTheirShape) {
  root().info("url ws://h/rtc?access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ&x=1");
  root().info("not a token: eyJustAWord and eyJhbGciOiJIUzI1NiJ9.only-two");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_NE(lines_[0].find("access_token=[redacted]&x=1"), std::string::npos) << lines_[0];
  EXPECT_NE(lines_[1].find("eyJustAWord and eyJhbGciOiJIUzI1NiJ9.only-two"), std::string::npos) << lines_[1];
  EXPECT_EQ(secret_count(), 0u);
}

TEST_F(LogTest, ManyThreadsWriteWholeLines) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) Logger::for_call("c" + std::to_string(t), "r").info("line", {{"i", i}});
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(lines_.size(), 800u);
  for (const auto& l : lines_) EXPECT_NE(l.find(" room=r"), std::string::npos);
}

}  // namespace
}  // namespace parley::log
