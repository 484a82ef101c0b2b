// agent.dispatch: worker — a parley worker named agent.agent_name is registered with LiveKit.
// The open-source server has no API that lists workers, so the check does what a call does: it
// dispatches the agent into a throw-away room and waits for the worker's agent to join it with
// the job's token. The room is deleted at once, which ends that call.
#include <random>
#include <thread>

#include "diagnose/checks.h"
#include "livekit/api/agent_dispatch_client.h"
#include "livekit/api/room_service_client.h"

namespace parley::diagnose {
namespace {

// How long a dispatch may take to reach a worker: the server's own budget is 3 s (psrpc).
constexpr auto kJobWait = std::chrono::seconds(6);

// The server marks an agent that joined with a job's token with the worker's agent name
// (lk.agent_name, livekit-server v1.9.2+); ListDispatch shows no job state on the open-source
// server (1.13.5), so the agent in the room is the evidence.
bool worker_agent_joined(const std::vector<livekit::ParticipantInfo>& people, const std::string& agent_name) {
  for (const auto& p : people) {
    auto it = p.attributes.find("lk.agent_name");
    if (it != p.attributes.end() && it->second == agent_name) return true;
  }
  return false;
}

class AgentWorkerCheck final : public Check {
 public:
  std::string name() const override { return "agent_worker"; }
  std::string title() const override { return "agent worker registered (agent.dispatch: worker)"; }
  std::vector<std::string> depends_on() const override { return {"rooms"}; }
  CheckResult run(Context& ctx) override {
    const auto& agent = ctx.config().agent;
    if (agent.dispatch != "worker") return CheckResult::skip("agent.dispatch is " + agent.dispatch);
    auto* api = ctx.api();
    if (!api) return CheckResult::fail("no server-API client", "run `parley config check`");
    livekit::RoomServiceClient rooms(*api);
    livekit::AgentDispatchClient dispatches(*api);
    std::string room = "parley-diagnose-worker-" + std::to_string(std::random_device{}() % 1000000);
    livekit::CreateRoomOptions create;
    create.name = room;
    create.empty_timeout = 10;
    if (auto r = rooms.create_room(create); !r) return CheckResult::fail("CreateRoom: " + r.error().message, "see the rooms check");
    auto cleanup = [&] { (void)rooms.delete_room(room); };
    auto d = dispatches.create_dispatch(room, agent.agent_name);
    if (!d) {
      cleanup();
      return CheckResult::fail("CreateDispatch: " + d.error().message, "the API key needs the roomAdmin grant");
    }
    auto deadline = std::chrono::steady_clock::now() + kJobWait;
    bool joined = false;
    while (!joined && std::chrono::steady_clock::now() < deadline) {
      auto people = rooms.list_participants(room);
      joined = people && worker_agent_joined(*people, agent.agent_name);
      if (!joined) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    cleanup();
    if (!joined) {
      return CheckResult::fail(
          "a job for agent '" + agent.agent_name + "' reached no worker within " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kJobWait).count()) +
              " s: no worker with that name is registered, or every one is full or draining",
          "start `parley serve` with agent.dispatch: worker and agent.agent_name: " + agent.agent_name +
              " against this LiveKit (its log says 'agent worker registered'), or raise calls.max_concurrent");
    }
    return CheckResult::pass("a job for agent '" + agent.agent_name + "' reached a worker, whose agent joined " + room +
                             " with the job's token");
  }
};

}  // namespace

std::unique_ptr<Check> make_agent_worker_check() { return std::make_unique<AgentWorkerCheck>(); }

}  // namespace parley::diagnose
