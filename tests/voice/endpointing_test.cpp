#include <gtest/gtest.h>

#include "voice/endpointing.h"

#include "providers/llm/script.h"

namespace parley::voice {
namespace {

using namespace std::chrono_literals;

TEST(Endpointing, FinishedWordsGetTheMinimumDelayAndUnfinishedOnesTheMaximum) {
  EndpointingOptions o;
  EXPECT_EQ(endpointing_delay("what are your opening hours", o), 500ms);
  EXPECT_EQ(endpointing_delay("I would like to ask about", o), 3000ms);
  EXPECT_EQ(endpointing_delay("my address is twelve and", o), 3000ms);
  EXPECT_EQ(endpointing_delay("well, um", o), 3000ms);
  EXPECT_EQ(endpointing_delay("so the thing is,", o), 3000ms);
  EXPECT_EQ(endpointing_delay("Сколько стоит приём и", o), 3000ms);
  EXPECT_EQ(endpointing_delay("Сколько стоит приём", o), 500ms);
  EXPECT_EQ(endpointing_delay("", o), 500ms);
  EXPECT_FALSE(looks_incomplete("And?"));  // a question mark ends it whatever the word
  o.max_delay = 100ms;                      // a max below the min never shortens the min
  EXPECT_EQ(endpointing_delay("and", o), 500ms);
}

TEST(Endpointing, AScriptIntentEndingTheWordsOrAQuestionMarkGetsTheShortWait) {
  EndpointingOptions o;
  o.min_delay = 250ms;
  o.script = &providers::Script::embedded();
  EXPECT_EQ(endpointing_delay("what are your opening hours", o), 250ms);
  EXPECT_EQ(endpointing_delay("how much does it cost", o), 250ms);
  EXPECT_EQ(endpointing_delay("can I talk to a person", o), 250ms);
  // The intent is there but not at the end: the caller may still be saying what they want.
  EXPECT_EQ(endpointing_delay("opening hours for my", o), 3000ms);
  EXPECT_EQ(endpointing_delay("the opening hours of the shop", o), 500ms);
  EXPECT_EQ(endpointing_delay("my name is john", o), 500ms);
  EXPECT_EQ(endpointing_delay("is it far from the station?", o), 250ms);  // a recogniser that punctuates
  EXPECT_EQ(endpointing_delay("Сколько стоит", o), 250ms);  // ru: стоит (prices)
  EXPECT_EQ(turn_shape("where are you located", o), TurnShape::kFinished);
  o.script = nullptr;  // no intents: only punctuation says a turn is finished
  EXPECT_EQ(endpointing_delay("what are your opening hours", o), 500ms);
  o.delay = 200ms;  // a short wait is never longer than the default one
  o.script = &providers::Script::embedded();
  EXPECT_EQ(endpointing_delay("what are your opening hours", o), 200ms);
}

}  // namespace
}  // namespace parley::voice

#include "voice/energy_vad.h"

namespace parley::voice {
namespace {

media::AudioFrame tone(int16_t amplitude) {
  auto f = media::AudioFrame::silence(16000, 1, std::chrono::milliseconds(20));
  for (size_t i = 0; i < f.samples().size(); ++i) f.samples()[i] = static_cast<int16_t>(i % 2 ? amplitude : -amplitude);
  return f;
}

TEST(EnergyVad, LoudFramesAreSpeechAndSteadyNoiseIsNot) {
  EnergyVad vad;
  EXPECT_FALSE(*vad.is_speech(tone(0)));
  EXPECT_FALSE(*vad.is_speech(tone(20)));    // about -64 dBov
  EXPECT_TRUE(*vad.is_speech(tone(3000)));   // about -21 dBov
  // A steady hum the noise estimate learns stops counting as speech.
  int speech = 0;
  for (int i = 0; i < 200; ++i) speech += *vad.is_speech(tone(200));  // about -44 dBov
  EXPECT_LT(speech, 120);  // learnt within about two seconds
  EXPECT_FALSE(*vad.is_speech(tone(200)));
  EXPECT_TRUE(*vad.is_speech(tone(6000)));
  EXPECT_FALSE(vad.is_speech(media::AudioFrame{}));
}

}  // namespace
}  // namespace parley::voice
