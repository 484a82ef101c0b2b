#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "providers/llm/script.h"
#include "providers/llm/script_llm.h"
#include "support/param_name.h"

namespace parley::providers {
namespace {

struct Collected {
  std::string text;
  std::vector<ToolCall> calls;
  int deltas = 0;
  int done = 0;
  bool ok = false;
};

Collected run(LlmProvider& llm, const ChatContext& ctx) {
  Collected c;
  LlmHandler h;
  h.on_text = [&](std::string d) {
    c.text += d;
    ++c.deltas;
  };
  h.on_tool_call = [&](ToolCall t) { c.calls.push_back(std::move(t)); };
  h.on_done = [&](Status s) {
    ++c.done;
    c.ok = s.has_value();
  };
  llm.chat(ctx, std::move(h));
  return c;
}

ChatContext user_says(std::string text, std::string lang = "en") {
  ChatContext ctx;
  ctx.language = lang;
  ctx.messages.push_back(ChatMessage::assistant("Hello, how can I help?"));
  ctx.messages.push_back(ChatMessage::user(std::move(text)));
  return ctx;
}

TEST(NormalizeWords, LowercasesAsciiAndCyrillicAndSplitsOnPunctuation) {
  EXPECT_EQ(normalize_words("What are your Opening-Hours?"),
            (std::vector<std::string>{"what", "are", "your", "opening", "hours"}));
  EXPECT_EQ(normalize_words("Где ВЫ находитесь? Ёлка"), (std::vector<std::string>{"где", "вы", "находитесь", "елка"}));
  EXPECT_EQ(normalize_words("that's 'all'"), (std::vector<std::string>{"that's", "all"}));
  EXPECT_EQ(normalize_words("a\xff\xfe b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(normalize_words("  ...!?  ").empty());
}

TEST(Script, EmbeddedScriptParsesAndAnswersTheBusinessQuestions) {
  const Script& s = Script::embedded();
  EXPECT_GE(s.intents().size(), 5u);
  auto hours = s.match("what are your opening hours", "en");
  ASSERT_NE(hours.intent, nullptr);
  EXPECT_EQ(hours.intent->name, "hours");
  EXPECT_NE(hours.answer.find("nine"), std::string::npos);
  auto where = s.match("where are you located", "en");
  ASSERT_NE(where.intent, nullptr);
  EXPECT_EQ(where.intent->name, "address");
  auto price = s.match("how much does it cost", "en");
  ASSERT_NE(price.intent, nullptr);
  EXPECT_EQ(price.intent->name, "prices");
  auto bye = s.match("okay goodbye", "en");
  ASSERT_NE(bye.intent, nullptr);
  EXPECT_EQ(bye.action, ScriptAction::kEndCall);
  auto op = s.match("can I talk to a human please", "en");
  ASSERT_NE(op.intent, nullptr);
  EXPECT_EQ(op.action, ScriptAction::kTransferCall);
}

TEST(Script, RussianPhrasesWithPrefixesMatchInflectedWords) {
  const Script& s = Script::embedded();
  auto m = s.match("Скажите, когда вы открываетесь?", "ru");
  ASSERT_NE(m.intent, nullptr);
  EXPECT_EQ(m.intent->name, "hours");
  EXPECT_NE(m.answer.find("девяти"), std::string::npos);
  auto c = s.match("Сколько стоит приём?", "ru");
  ASSERT_NE(c.intent, nullptr);
  EXPECT_EQ(c.intent->name, "prices");
  auto o = s.match("соедините с оператором", "ru");
  ASSERT_NE(o.intent, nullptr);
  EXPECT_EQ(o.action, ScriptAction::kTransferCall);
}

TEST(Script, NothingMatchedGivesTheDefaultAnswerInTheLanguage) {
  const Script& s = Script::embedded();
  auto m = s.match("tell me a joke about penguins", "en");
  EXPECT_EQ(m.intent, nullptr);
  EXPECT_EQ(m.answer, s.default_answer("en"));
  EXPECT_EQ(s.match("", "ru").answer, s.default_answer("ru"));
  // An unknown language falls back to English.
  EXPECT_EQ(s.match("xyz", "de").answer, s.default_answer("en"));
  EXPECT_EQ(s.repeat_prompt("en"), "Sorry, could you repeat that?");
}

TEST(Script, DigitsMapToIntents) {
  const Script& s = Script::embedded();
  auto op = s.match_digit('0', "en");
  ASSERT_NE(op.intent, nullptr);
  EXPECT_EQ(op.intent->name, "operator");
  EXPECT_EQ(op.action, ScriptAction::kTransferCall);
  EXPECT_EQ(s.match_digit('1', "en").intent->name, "hours");
  EXPECT_EQ(s.match_digit('9', "en").intent, nullptr);
}

TEST(Script, LongerPhrasesOutweighSingleWordsAndTiesGoToTheEarlierIntent) {
  auto s = Script::parse(R"(
default: {en: "default"}
intents:
  - name: a
    phrases: {en: [open]}
    answer: {en: "A"}
  - name: b
    phrases: {en: [open an account]}
    answer: {en: "B"}
  - name: c
    phrases: {en: [open]}
    answer: {en: "C"}
)", "t.yaml");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->match("I want to open an account", "en").answer, "B");
  EXPECT_EQ(s->match("are you open", "en").answer, "A");
}

struct BadScript {
  const char* yaml;
  const char* expected;
};

// The case's name in test listings (see support/param_name.h).
void PrintTo(const BadScript& b, std::ostream* os) { *os << test::param_name(b.expected); }

class ScriptErrors : public ::testing::TestWithParam<BadScript> {};

TEST_P(ScriptErrors, NameTheProblem) {
  auto s = Script::parse(GetParam().yaml, "bad.yaml");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find(GetParam().expected), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("bad.yaml"), std::string::npos) << s.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    All, ScriptErrors,
    ::testing::Values(
        BadScript{"default: {en: x}\nintents: [ {name: a, phrases: {en: [x]}, answer: {en: y}}\n", "bad.yaml:"},
        BadScript{"- a list", "a script is a map"},
        BadScript{"intents: [{name: a, phrases: {en: [x]}, answer: {en: y}}]", "'default'"},
        BadScript{"default: {en: d}\nintents: []", "non-empty list"},
        BadScript{"default: {en: d}\nintents: [{phrases: {en: [x]}, answer: {en: y}}]", "no name"},
        BadScript{"default: {en: d}\nintents: [{name: a, phrases: {en: [x]}}]", "intent 'a' has no answer"},
        BadScript{"default: {en: d}\nintents: [{name: a, answer: {en: y}}]", "can never match"},
        BadScript{"default: {en: d}\nintents: [{name: a, phrases: {en: [x]}, answer: {en: y}, action: dance}]",
                  "action 'dance' is unknown"},
        BadScript{"default: {en: d}\nintents: [{name: a, phrases: {en: [x]}, answer: {en: y}, dtmf: \"12\"}]",
                  "one keypad key"},
        BadScript{"default: {en: d}\nintents: [{name: a, phrases: {en: [x]}, answer: {en: y}},"
                  " {name: a, phrases: {en: [z]}, answer: {en: y}}]",
                  "defined twice"},
        BadScript{"default: {en: d}\nintents: [{name: a, dtmf: \"1\", answer: {en: y}},"
                  " {name: b, dtmf: \"1\", answer: {en: y}}]",
                  "used by two intents"},
        BadScript{"default: {en: d}\nintents: [{name: a, phrases: {en: [\"...\"]}, answer: {en: y}}]", "empty phrase"},
        BadScript{"default: {en: d}\nintents: [{name: a, phrases: {en: [x]}, answer: {en: y}, colour: red}]",
                  "unknown key 'colour'"},
        BadScript{"default: {en: d}\nextra: 1\nintents: [{name: a, phrases: {en: [x]}, answer: {en: y}}]",
                  "unknown key 'extra'"},
        BadScript{"default: {en: d}\nintents: [{name: a, phrases: {en: x}, answer: {en: y}}]", "must be a list"},
        BadScript{"default: \"just text\"\nintents: [{name: a, phrases: {en: [x]}, answer: {en: y}}]",
                  "must map languages to text"}));

TEST(ScriptLlm, StreamsTheAnswerInPiecesThenDone) {
  auto llm = ScriptLlm::create("");
  ASSERT_TRUE(llm);
  auto c = run(**llm, user_says("What are your opening hours?"));
  EXPECT_EQ(c.text, Script::embedded().match("opening hours", "en").answer);
  EXPECT_GT(c.deltas, 3);
  EXPECT_TRUE(c.calls.empty());
  EXPECT_EQ(c.done, 1);
  EXPECT_TRUE(c.ok);
}

TEST(ScriptLlm, GoodbyeAndOperatorBecomeToolCallsAfterTheirWords) {
  auto llm = ScriptLlm::create("");
  ASSERT_TRUE(llm);
  auto bye = run(**llm, user_says("thanks, goodbye"));
  EXPECT_NE(bye.text.find("Goodbye"), std::string::npos);
  ASSERT_EQ(bye.calls.size(), 1u);
  EXPECT_EQ(bye.calls[0].name, kToolEndCall);
  auto op = run(**llm, user_says("оператор", "ru"));
  EXPECT_NE(op.text.find("оператором"), std::string::npos);
  ASSERT_EQ(op.calls.size(), 1u);
  EXPECT_EQ(op.calls[0].name, kToolTransferCall);
}

TEST(ScriptLlm, AKeypadDigitIsAnIntent) {
  auto llm = ScriptLlm::create("");
  ASSERT_TRUE(llm);
  ChatContext ctx;
  ChatMessage m;
  m.role = ChatRole::kUser;
  m.dtmf = '0';
  ctx.messages.push_back(m);
  auto c = run(**llm, ctx);
  ASSERT_EQ(c.calls.size(), 1u);
  EXPECT_EQ(c.calls[0].name, kToolTransferCall);
}

TEST(ScriptLlm, LoadsAScriptFileAndNamesAMissingOne) {
  std::string path = ::testing::TempDir() + "/parley_script_test.yaml";
  {
    std::ofstream f(path);
    f << "default: {en: \"We sell bicycles.\"}\nintents:\n  - name: repair\n    phrases: {en: [repair, fix]}\n"
         "    answer: {en: \"Repairs take one day.\"}\n";
  }
  auto llm = ScriptLlm::create(path);
  ASSERT_TRUE(llm) << llm.error().message;
  EXPECT_EQ(run(**llm, user_says("can you fix my bike")).text, "Repairs take one day.");
  EXPECT_EQ(run(**llm, user_says("hello")).text, "We sell bicycles.");
  std::remove(path.c_str());
  auto missing = ScriptLlm::create(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("providers.script"), std::string::npos);
}

}  // namespace
}  // namespace parley::providers
