// Deepgram's streaming messages as documented (fields of Results, Metadata, UtteranceEnd,
// SpeechStarted, Error), and what is refused; the listen URL's query.
#include <gtest/gtest.h>

#include "providers/stt/deepgram_message.h"
#include "providers/stt/deepgram_stt.h"

namespace parley::providers {
namespace {

TEST(DeepgramMessage, ResultsGiveTheFirstAlternativeAndTheFlags) {
  auto m = parse_deepgram_message(
      R"({"type":"Results","channel_index":[0,1],"duration":1.04,"start":0.0,"is_final":true,"speech_final":false,)"
      R"("from_finalize":true,"channel":{"alternatives":[{"transcript":"Hello, world.","confidence":0.93,"words":[]},)"
      R"({"transcript":"hollow world","confidence":0.2}]},"metadata":{"request_id":"r-1","model_info":{"name":"n"}}})");
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->type, DeepgramMessageType::kResults);
  EXPECT_EQ(m->transcript, "Hello, world.");
  EXPECT_DOUBLE_EQ(m->confidence, 0.93);
  EXPECT_TRUE(m->is_final);
  EXPECT_FALSE(m->speech_final);
  EXPECT_TRUE(m->from_finalize);
  EXPECT_EQ(m->request_id, "r-1");
}

TEST(DeepgramMessage, AbsentFlagsAreFalseAndNoAlternativeIsNoText) {
  auto m = parse_deepgram_message(R"({"type":"Results","channel":{"alternatives":[]}})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->transcript, "");
  EXPECT_FALSE(m->is_final);
  EXPECT_FALSE(m->from_finalize);
}

TEST(DeepgramMessage, OtherDocumentedTypes) {
  auto meta = parse_deepgram_message(
      R"({"type":"Metadata","transaction_key":"deprecated","request_id":"8c8e","sha256":"e3b0","created":"2024-08-29T22:37:55.202Z","duration":0.0,"channels":0})");
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->type, DeepgramMessageType::kMetadata);
  EXPECT_EQ(meta->request_id, "8c8e");
  auto end = parse_deepgram_message(R"({"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.395})");
  ASSERT_TRUE(end);
  EXPECT_EQ(end->type, DeepgramMessageType::kUtteranceEnd);
  auto started = parse_deepgram_message(R"({"type":"SpeechStarted","channel":[0],"timestamp":0.5})");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->type, DeepgramMessageType::kSpeechStarted);
  auto err = parse_deepgram_message(R"({"type":"Error","description":"Failed","message":"bad audio","variant":"x"})");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->type, DeepgramMessageType::kError);
  EXPECT_EQ(err->error, "Failed: bad audio");
  auto other = parse_deepgram_message(R"({"type":"SomethingNew","x":1})");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->type, DeepgramMessageType::kOther);
  EXPECT_EQ(other->type_name, "SomethingNew");
}

TEST(DeepgramMessage, MalformedAndTruncatedAreProtocolErrors) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const auto& c : std::initializer_list<Case>{
           {R"({"type":"Results","channel":{"alternatives":[{"transcript":"cut)", "cut short"},
           {"not json at all", "cut short"},
           {"", "cut short"},
           {R"(["Results"])", "not a JSON object"},
           {R"({"channel":{}})", "no \"type\""},
           {R"({"type":7})", "no \"type\""},
           {R"({"type":"Results"})", "\"channel\""},
           {R"({"type":"Results","channel":{"alternatives":"nope"}})", "alternatives"},
           {R"({"type":"Results","channel":{"alternatives":[3]}})", "not an object"},
           {R"({"type":"Results","channel":{"alternatives":[{"transcript":5}]}})", "transcript"},
           {R"({"type":"Results","is_final":"yes","channel":{"alternatives":[]}})", "not a boolean"},
       }) {
    auto m = parse_deepgram_message(c.text);
    ASSERT_FALSE(m) << c.text;
    EXPECT_EQ(m.error().code, ErrorCode::kProtocol);
    EXPECT_NE(m.error().message.find(c.says), std::string::npos) << m.error().message;
  }
  // A long frame is quoted briefly, with control characters blanked.
  std::string long_frame(5000, 'x');
  long_frame[3] = '\n';
  auto m = parse_deepgram_message(long_frame);
  ASSERT_FALSE(m);
  EXPECT_LT(m.error().message.size(), 300u);
  EXPECT_EQ(m.error().message.find('\n'), std::string::npos);
}

TEST(DeepgramListenTarget, StatesTheAudioFormatAndKeepsTheUrlsQuery) {
  DeepgramSttOptions o;
  o.url = *parse_url("wss://api.deepgram.com/v1/listen");
  o.model = "nova-3";
  o.language = "en-US";
  EXPECT_EQ(deepgram_listen_target(o),
            "/v1/listen?encoding=linear16&sample_rate=16000&channels=1&model=nova-3&language=en-US&interim_results=true&"
            "punctuate=true");
  o.url = *parse_url("ws://127.0.0.1:9/v1/listen?smart_format=true");
  o.model = "a b&c";
  o.language = "";
  EXPECT_EQ(deepgram_listen_target(o),
            "/v1/listen?smart_format=true&encoding=linear16&sample_rate=16000&channels=1&model=a%20b%26c&"
            "interim_results=true&punctuate=true");
}

}  // namespace
}  // namespace parley::providers
