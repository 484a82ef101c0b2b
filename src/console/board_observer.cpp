#include "console/board_observer.h"

#include "service/number_masking.h"

namespace parley::console {

namespace {

class BoardObserver final : public agent::CallObserver {
 public:
  BoardObserver(std::shared_ptr<CallBoard> board, std::string id) : board_(std::move(board)), id_(std::move(id)) {}
  ~BoardObserver() override { board_->end(id_, "stopped"); }  // no-op when the agent ended it

  void on_state(agent::CallState state) override { board_->set_state(id_, agent::to_string(state)); }
  void on_user_text(const std::string& segment_id, const std::string& text, bool final) override {
    board_->user_text(id_, segment_id, text, final);
  }
  void on_agent_text(const std::string& segment_id, const std::string& delta, bool final) override {
    board_->agent_text(id_, segment_id, delta, final);
  }
  void on_turn(const voice::TurnMetrics& metrics) override { board_->turn(id_, metrics); }
  void on_event(const std::string& event) override { board_->event(id_, event); }
  void on_ended(const std::string& reason) override { board_->end(id_, reason); }

 private:
  std::shared_ptr<CallBoard> board_;
  std::string id_;
};

// The call's own numbers, to be masked wherever they appear (an empty one would match everywhere).
std::vector<std::string> known_numbers(const service::CallRecord& r) {
  std::vector<std::string> out;
  for (const auto& n : {r.caller_number, r.called_number}) {
    if (!n.empty()) out.push_back(n);
  }
  return out;
}

}  // namespace

std::string caller_label(const service::CallRecord& record, bool mask) {
  std::string label = record.phone_call && !record.caller_number.empty() ? record.caller_number : record.caller_identity;
  if (!mask) return label;
  return service::mask_phone_numbers(label, known_numbers(record));
}

service::CallObserverFactory make_board_observers(std::shared_ptr<CallBoard> board) {
  return [board](const service::CallContext& ctx) -> std::shared_ptr<agent::CallObserver> {
    bool mask = ctx.config && ctx.config->calls.mask_numbers;
    std::string room = mask ? service::mask_phone_numbers(ctx.record.room, known_numbers(ctx.record))
                            : ctx.record.room;
    auto id = board->begin(ctx.record.call_id, room, caller_label(ctx.record, mask));
    return std::make_shared<BoardObserver>(board, id);
  };
}

}  // namespace parley::console
