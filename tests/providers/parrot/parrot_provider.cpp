// "parrot", an example provider in a folder of its own: a recogniser that always hears
// providers.parrot.phrase, and an LLM that answers with providers.parrot.prefix and the caller's
// last words. It shows everything a provider declares for itself: its section's keys and
// defaults, a secret taken from the environment, the checks with their fixes, and a factory per
// role.
#include <memory>
#include <sstream>
#include <string>

#include "providers/registry/provider_factories.h"

namespace parley {

namespace {

class ParrotRecognizer final : public providers::SpeechRecognizer {
 public:
  explicit ParrotRecognizer(std::string phrase) : phrase_(std::move(phrase)) {}
  std::string_view name() const override { return "parrot"; }
  void push_frame(const media::AudioFrame&) override {}
  void finish(std::function<void(Result<std::string>)> done) override { done(phrase_); }
  void cancel() override {}

 private:
  std::string phrase_;
};

class ParrotLlm final : public providers::LlmProvider {
 public:
  ParrotLlm(std::string prefix, size_t max_words) : prefix_(std::move(prefix)), max_words_(max_words) {}
  std::string_view name() const override { return "parrot"; }
  std::unique_ptr<providers::LlmStream> chat(const providers::ChatContext& context, providers::LlmHandler handler) override {
    std::string reply = prefix_;
    if (const auto* user = context.last_user()) {
      std::istringstream words(user->text);
      size_t n = 0;
      for (std::string w; n < max_words_ && words >> w; ++n) reply += (n ? " " : "") + w;
    }
    handler.on_text(reply);
    handler.on_done({});
    return std::make_unique<providers::DoneLlmStream>();
  }

 private:
  std::string prefix_;
  size_t max_words_;
};

std::vector<ConfigIssue> validate(const ProviderSettings& s) {
  std::vector<ConfigIssue> issues;
  if (s.text("prefix").empty()) {
    issues.push_back({"prefix", "is empty", "write what the parrot says before the caller's words, e.g. 'You said: '"});
  }
  if (s.text("api_key").empty()) {
    issues.push_back({"api_key", "is not set but the parrot provider is chosen", "export PARROT_API_KEY"});
  }
  return issues;
}

}  // namespace

void register_provider_parrot() {
  register_provider_section({"parrot",
                             {"stt", "llm"},
                             {ProviderKey::text("phrase", "hello parrot"), ProviderKey::text("prefix", "You said: "),
                              ProviderKey::integer("max_words", 20, 1, 100),
                              ProviderKey::secret_text("api_key", "PARROT_API_KEY")},
                             validate});
  providers::register_stt("parrot", [](const providers::ProviderContext& c) -> Result<providers::RecognizerMaker> {
    return [phrase = c.settings.text("phrase")](const std::string&, const log::Logger&) {
      return std::make_unique<ParrotRecognizer>(phrase);
    };
  });
  providers::register_llm("parrot", [](const providers::ProviderContext& c) -> Result<std::shared_ptr<providers::LlmProvider>> {
    return std::make_shared<ParrotLlm>(c.settings.text("prefix"), static_cast<size_t>(c.settings.integer("max_words")));
  });
}

}  // namespace parley
