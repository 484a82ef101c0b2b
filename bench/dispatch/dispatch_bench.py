"""Dispatch latency: a caller's room is created -> the agent's first audible sound at the caller,
with parley serve in webhook mode (participant_joined webhook admits the call) and in worker mode
(the caller's token carries room_config.agents, as a SIP dispatch rule does; livekit-server
dispatches the job to the worker). N callers at once per round; p50/p95 over every call.
From parley's own log, the steps: room_started webhook -> the caller joined, the agent joined the
room (the dispatch alone), the caller's track published.
Also the process's CPU time per call and its resident memory per concurrent call (from /proc).

Webhook mode is the reference: for each N the two modes run one after the other (a fresh
`parley serve` each), so both see the same machine, and the figures are printed as worker /
webhook ratios, with worker mode's overhead per call (worker minus webhook).
Run through bench/dispatch/run.sh (a stack of its own in a network namespace)."""
import argparse
import asyncio
import os
import statistics
import threading
import time
import uuid

from lk_caller import Caller
from serve_support import Serve, delete_room, log_time, wait_until

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


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024.0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PeakRss:
    """Samples the process's resident memory every 50 ms while the calls run."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, rss_mib(pid), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mib(self.pid))

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak


async def one_call(mode, results, rooms=None):
    room = f"bench-dispatch-{uuid.uuid4().hex[:8]}"
    if rooms is not None:
        rooms.append(room)
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


# From parley's own log (one clock), per bench room, seconds from the room_started webhook (the
# room is created) to: the caller joined (its participant_joined webhook), the agent joined the
# room (the dispatch alone), the caller's track published (webhook; the agent greets once it
# hears the caller, so this bounds the first sound from below).
STEPS = ("caller joined", "agent joined", "caller's track")


def breakdown(s, rooms):
    seen = {}
    for l in s.lines():
        room, msg, event = l.get("room", ""), l.get("msg"), l.get("event")
        if not room.startswith("bench-dispatch-"):
            continue
        caller = l.get("participant") == "bench-caller"
        step = ("start" if msg == "webhook verified" and event == "room_started" else
                "caller joined" if msg == "webhook verified" and event == "participant_joined" and caller else
                "caller's track" if msg == "webhook verified" and event == "track_published" and caller else
                "agent joined" if msg == "joined room" else None)
        if step:
            seen.setdefault(room, {}).setdefault(step, log_time(l))
    return {step: [seen[r][step] - seen[r]["start"] for r in rooms if "start" in seen.get(r, {}) and step in seen[r]]
            for step in STEPS}


def measure(mode, n, rounds):
    """One fresh serve, `rounds` rounds of n callers at once: latencies, CPU per call, the peak
    resident memory above the idle process per concurrent call."""
    s = serve_for(mode)
    try:
        pid = s.proc.pid
        # One call first, not counted: what the process allocates once, on its first call (the
        # engines' first use), is not a cost per call; the idle figures are taken after it.
        asyncio.run(one_call(mode, []))
        wait_until(lambda: s.metric("parley_calls_active") == 0, 30, "the warm-up call to end")
        time.sleep(1.0)
        idle_rss, cpu0 = rss_mib(pid), cpu_s(pid)
        results, peaks, rooms = [], [], []
        for _ in range(rounds):
            sampler = PeakRss(pid)

            async def round_():
                await asyncio.gather(*(one_call(mode, results, rooms) for _ in range(n)))
            try:
                asyncio.run(round_())
                wait_until(lambda: s.metric("parley_calls_active") == 0, 30, "calls to end")
            finally:
                peaks.append(sampler.stop())
        cpu = cpu_s(pid) - cpu0
        return {"lat": results, "steps": breakdown(s, rooms), "cpu_per_call": cpu / len(results),
                "mem_per_call": (max(peaks) - idle_rss) / n, "idle_rss": idle_rss, "peak_rss": max(peaks)}
    finally:
        s.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", default="1,20", help="callers at once per round, comma separated")
    ap.add_argument("--rounds", type=int, default=10, help="rounds of 1 call (larger rounds run once)")
    ap.add_argument("--modes", default="webhook,worker", help="the first is the reference")
    a = ap.parse_args()
    modes = a.modes.split(",")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    for n in (int(x) for x in a.calls.split(",")):
        got = {}
        for mode in modes:
            m = got[mode] = measure(mode, n, a.rounds if n == 1 else 1)
            lat = m["lat"]
            print(f"{mode:8s} {n:3d} at once: room created -> agent's first sound p50 {statistics.median(lat):.2f}s "
                  f"p95 {pct(lat, 95):.2f}s max {max(lat):.2f}s over {len(lat)} calls; "
                  f"CPU {m['cpu_per_call'] * 1000:.0f} ms/call; RSS {m['idle_rss']:.0f} MiB idle, "
                  f"peak {m['peak_rss']:.0f} MiB ({m['mem_per_call']:.1f} MiB per concurrent call)", flush=True)
            print(f"{mode:8s} {n:3d} at once, from parley's log: room created -> " + "; ".join(
                f"{step} p50 {statistics.median(v):.2f}s p95 {pct(v, 95):.2f}s" for step, v in m["steps"].items() if v),
                flush=True)
        ref, ref_m = modes[0], got[modes[0]]
        for mode in modes[1:]:
            m = got[mode]
            ratio = lambda f: f(m) / f(ref_m) if f(ref_m) else float("nan")  # noqa: E731
            print(f"{mode}/{ref} {n:3d} at once: p50 x{ratio(lambda x: statistics.median(x['lat'])):.2f} "
                  f"p95 x{ratio(lambda x: pct(x['lat'], 95)):.2f}; agent joined p50 "
                  f"x{ratio(lambda x: statistics.median(x['steps']['agent joined'] or [0])):.2f} "
                  f"p95 x{ratio(lambda x: pct(x['steps']['agent joined'] or [0], 95)):.2f}; CPU/call x{ratio(lambda x: x['cpu_per_call']):.2f}; "
                  f"{mode} overhead per call: CPU {(m['cpu_per_call'] - ref_m['cpu_per_call']) * 1000:+.0f} ms, "
                  f"memory {m['mem_per_call'] - ref_m['mem_per_call']:+.1f} MiB", flush=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
