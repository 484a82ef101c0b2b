"""Dispatch latency: a caller's room is created -> the agent's first audible sound at the caller,
with parley serve in webhook mode (participant_joined webhook admits the call) and in worker mode
(the caller's token carries room_config.agents, as a SIP dispatch rule does; livekit-server
dispatches the job to the worker). N callers at once per round; p50/p95 over every call.
Also the worker's resident memory and CPU time per call (from /proc), against webhook mode's.
Run through bench/dispatch/run.sh (a stack of its own in a network namespace)."""
import argparse
import asyncio
import statistics
import time
import uuid

from lk_caller import Caller
from serve_support import Serve, delete_room, wait_until

AGENT_NAME = "parley-bench"


def serve_for(mode):
    common = ["--set", "webhook.listen=127.0.0.1:8080", "--set", "calls.max_concurrent=100",
              "--set", "providers.pocketsphinx.max_decoders=2"]
    if mode == "worker":
        s = Serve(*common, "--set", "agent.dispatch=worker", "--set", f"agent.agent_name={AGENT_NAME}")
        wait_until(lambda: s.find("agent worker registered"), 20, "the worker to register")
    else:
        s = Serve(*common, "--set", 'calls.room_patterns=["bench-dispatch-*"]')
    wait_until(lambda: s.get("/readyz")[0] == 200, 20, "/readyz")
    return s


def proc_stats(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    import os
    ticks = os.sysconf("SC_CLK_TCK")
    return rss / 1024.0, (int(fields[11]) + int(fields[12])) / ticks


async def one_call(mode, results):
    room = f"bench-dispatch-{uuid.uuid4().hex[:8]}"
    caller = Caller(room, identity="bench-caller", dispatch_agent=AGENT_NAME if mode == "worker" else None)
    t0 = time.monotonic()
    try:
        await caller.join(timeout=60)
        voice = await caller.wait_for(lambda: caller.first_voice_after(0), 60, "the agent's first sound")
        results.append(voice - t0)
    finally:
        await caller.hang_up()
        await delete_room(room)


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", default="1,20", help="callers at once per round, comma separated")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of 1 call (larger rounds run once)")
    ap.add_argument("--modes", default="webhook,worker")
    a = ap.parse_args()
    for mode in a.modes.split(","):
        s = serve_for(mode)
        try:
            rss0, cpu0 = proc_stats(s.proc.pid)
            for n in (int(x) for x in a.calls.split(",")):
                results = []
                for _ in range(a.rounds if n == 1 else 1):
                    async def round_():
                        await asyncio.gather(*(one_call(mode, results) for _ in range(n)))
                    asyncio.run(round_())
                    wait_until(lambda: s.metric("parley_calls_active") == 0, 30, "calls to end")
                print(f"{mode:8s} {n:3d} at once: room created -> agent's first sound p50 {statistics.median(results):.2f}s "
                      f"p95 {pct(results, 95):.2f}s max {max(results):.2f}s over {len(results)} calls", flush=True)
            rss1, cpu1 = proc_stats(s.proc.pid)
            print(f"{mode:8s} process: RSS {rss0:.0f} -> {rss1:.0f} MiB, CPU {cpu1 - cpu0:.1f}s for the calls above", flush=True)
        finally:
            s.stop()


if __name__ == "__main__":
    main()
