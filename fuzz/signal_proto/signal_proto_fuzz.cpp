// Untrusted signal frames: parse a SignalResponse and dispatch it to a handler that reads
// what it is given, as the Room would. Any crash, leak or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "livekit/signal/signal_dispatch.h"

namespace {

namespace lk = ::livekit;
using parley::livekit::CandidateInit;

struct Reader final : parley::livekit::SignalHandler {
  size_t sink = 0;
  void on_join(const lk::JoinResponse& j) override {
    sink += j.participant().sid().size() + static_cast<size_t>(j.other_participants_size());
    for (const auto& p : j.other_participants()) sink += p.attributes().size() + p.tracks_size();
  }
  void on_offer(const lk::SessionDescription& s) override { sink += s.sdp().size(); }
  void on_answer(const lk::SessionDescription& s) override { sink += s.sdp().size(); }
  void on_trickle(lk::SignalTarget, const CandidateInit& c, bool) override {
    sink += c.candidate.size() + c.sdp_mid.size();
    auto again = parley::livekit::parse_candidate_init(parley::livekit::format_candidate_init(c));
    if (!again) __builtin_trap();  // what we format we must parse
  }
  void on_participant_update(const lk::ParticipantUpdate& u) override {
    for (const auto& p : u.participants()) sink += p.identity().size() + static_cast<size_t>(p.state());
  }
  void on_leave(const lk::LeaveRequest& l) override { sink += static_cast<size_t>(l.action()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto msg = parley::livekit::parse_signal_response(std::span<const uint8_t>(data, size));
  if (!msg) return 0;
  Reader r;
  (void)parley::livekit::dispatch_signal_response(*msg, r);
  (void)parley::livekit::case_name(*msg);
  return 0;
}
