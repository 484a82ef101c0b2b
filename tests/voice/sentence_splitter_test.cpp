#include <gtest/gtest.h>

#include "voice/sentence_splitter.h"

namespace parley::voice {
namespace {

// Feeds the text in pieces of `chunk` bytes (as an LLM streams it) and returns every sentence.
std::vector<std::string> split(std::string_view text, size_t chunk, SentenceSplitterOptions o = {}) {
  SentenceSplitter s(o);
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size(); i += chunk) {
    for (auto& x : s.push(text.substr(i, chunk))) out.push_back(std::move(x));
  }
  if (auto rest = s.flush()) out.push_back(std::move(*rest));
  return out;
}

using V = std::vector<std::string>;

TEST(SentenceSplitter, SplitsEnglishSentencesWhateverTheChunking) {
  std::string text = "We are open from nine to six. Would you like our address? We are on Baker Street!";
  V expected{"We are open from nine to six.", "Would you like our address?", "We are on Baker Street!"};
  for (size_t chunk : {1, 2, 3, 5, 7, 100}) EXPECT_EQ(split(text, chunk), expected) << "chunk " << chunk;
}

TEST(SentenceSplitter, SplitsRussianSentences) {
  std::string text = "Мы работаем с девяти до шести. Чем ещё могу помочь? Звоните в любое время…  Всего доброго!";
  V expected{"Мы работаем с девяти до шести.", "Чем ещё могу помочь?", "Звоните в любое время…", "Всего доброго!"};
  for (size_t chunk : {1, 4, 100}) EXPECT_EQ(split(text, chunk), expected) << "chunk " << chunk;
}

TEST(SentenceSplitter, KeepsNumbersAbbreviationsAndInitialsTogether) {
  SentenceSplitterOptions o;
  o.first_clause_words = 0;
  EXPECT_EQ(split("The price is 3.5 dollars per minute. Thank you very much.", 1, o),
            (V{"The price is 3.5 dollars per minute.", "Thank you very much."}));
  EXPECT_EQ(split("Dr. Smith sees patients at St. Mary's from 9 a.m. daily. Please call ahead.", 2, o),
            (V{"Dr. Smith sees patients at St. Mary's from 9 a.m. daily.", "Please call ahead."}));
  EXPECT_EQ(split("Ask for J. R. Tolkien at the desk, e.g. on Monday. It is easy to find.", 3, o),
            (V{"Ask for J. R. Tolkien at the desk, e.g. on Monday.", "It is easy to find."}));
  EXPECT_EQ(split("Мы на ул. Ленина, д. 5, т.е. в центре. Приходите завтра утром.", 1, o),
            (V{"Мы на ул. Ленина, д. 5, т.е. в центре.", "Приходите завтра утром."}));
  EXPECT_EQ(split("It costs 1,000 dollars in total. That is all for today.", 4, o),
            (V{"It costs 1,000 dollars in total.", "That is all for today."}));
}

TEST(SentenceSplitter, DoesNotCutBeforeTheNextWordBegins) {
  SentenceSplitter s;
  EXPECT_TRUE(s.push("A standard visit costs 3.").empty());
  EXPECT_TRUE(s.push("5").empty());
  EXPECT_TRUE(s.push(" dollars. ").empty());
  EXPECT_EQ(s.push("T"), V{"A standard visit costs 3.5 dollars."});
  EXPECT_EQ(s.flush(), std::optional<std::string>("T"));
}

TEST(SentenceSplitter, PunctuationRunsAndClosingQuotesStayWithTheSentence) {
  SentenceSplitterOptions o;
  o.min_sentence_chars = 1;
  EXPECT_EQ(split("Really?! Yes... \"Quite so.\" (Indeed.) Он сказал «да». Ok", 1, o),
            (V{"Really?!", "Yes...", "\"Quite so.\"", "(Indeed.)", "Он сказал «да».", "Ok"}));
}

TEST(SentenceSplitter, ShortSentencesMergeWithTheNext) {
  EXPECT_EQ(split("Hi. Yes. We are open from nine to six today. Bye.", 2),
            (V{"Hi. Yes. We are open from nine to six today.", "Bye."}));
}

TEST(SentenceSplitter, TheFirstSentenceMayEndAtACommaAfterEnoughWords) {
  SentenceSplitterOptions o;
  o.first_clause_words = 6;
  EXPECT_EQ(split("Thanks for calling our little shop today, we are open from nine to six, every day. Anything else?",
                  3, o),
            (V{"Thanks for calling our little shop today,", "we are open from nine to six, every day.", "Anything else?"}));
  // Too few words before the comma: no early cut.
  EXPECT_EQ(split("Sure, we are open from nine to six every day. Anything else?", 3, o),
            (V{"Sure, we are open from nine to six every day.", "Anything else?"}));
}

TEST(SentenceSplitter, LowercaseAfterAPeriodIsNotANewSentence) {
  EXPECT_EQ(split("The file is called notes.txt and it is there. next time ask me.", 1),
            (V{"The file is called notes.txt and it is there. next time ask me."}));
}

TEST(SentenceSplitter, NewlinesEndSentencesAndFlushResets) {
  SentenceSplitter s;
  EXPECT_EQ(s.push("Opening hours are listed below\nMonday to Friday nine to six\n"),
            V{"Opening hours are listed below"});
  EXPECT_EQ(s.flush(), std::optional<std::string>("Monday to Friday nine to six"));
  EXPECT_EQ(s.flush(), std::nullopt);
  EXPECT_TRUE(s.push("   ").empty());
  EXPECT_EQ(s.flush(), std::nullopt);
}

}  // namespace
}  // namespace parley::voice
