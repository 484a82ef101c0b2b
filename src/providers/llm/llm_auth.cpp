#include "providers/llm/llm_auth.h"

namespace parley::providers {

namespace {

class FixedAuth final : public LlmAuth {
 public:
  explicit FixedAuth(std::string header) : header_(std::move(header)) {}
  void authorization(std::function<void(Result<std::string>)> done) override { done(header_); }

 private:
  std::string header_;
};

}  // namespace

std::shared_ptr<LlmAuth> fixed_llm_auth(std::string header) { return std::make_shared<FixedAuth>(std::move(header)); }

}  // namespace parley::providers
