"""parley beside LiveKit Agents (bench/peer/livekit_agents_peer.py), same engines, same server,
same callers. Run by bench/peer/run.sh on a local stack of its own in a network namespace.

Both agents run as workers (explicit dispatch by agent name: each caller's token carries
room_config.agents, as a SIP dispatch rule does), one framework at a time. For each N, N callers
(the official Python SDK, scripts/lk_caller.py; `--per-process` callers per process so one Python
loop does not hold up the rest) create their rooms at once, wait for the greeting, then all ask
their questions (flite, 16 kHz, synthesised once by `parley tts`), each waiting for its answer.
Per framework and N:

  - CPU per call: CPU time of the agent's whole process tree (utime+stime, plus that of children
    it reaped) over the window from every greeting heard to every answer heard, / wall / N
    (share of one core); and CPU seconds per answered question;
  - memory: PSS of the tree (/proc/PID/smaps_rollup, shared pages split fairly) when idle (workers
    registered, nothing running) and its peak during the window; per call = (peak - idle) / N;
  - threads and processes of the tree, idle and at peak;
  - answers correct: the agent's final lk.transcription text equals the scripted answer;
  - caller-clock latency: the question's last frame leaving the caller -> the answer's first
    audible 10 ms at the caller (p50 / p95);
  - frames dropped, heard at the caller: each answer's voiced span (first to last sample above
    the silence level) against the same framework's shortest rendering of that answer in the run:
    an answer heard more than 0.1 s longer had frames stalled or dropped on the way ("answers with
    gaps"); also the agent track's inbound-rtp packets lost, and its concealed samples that were
    not silence as a share of samples received (for information: NetEq also conceals at the end
    of every talk spurt). "frames start to drop" is the first N with a gap or a lost packet.
"""
import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import numpy as np
from serve_support import LIVEKIT_URL, PARLEY, delete_room, list_rooms, scripted_answer, synthesise, wait_until

TICK = os.sysconf("SC_CLK_TCK")
QUESTIONS = [("what are your opening hours", "hours"), ("how much does it cost", "prices"),
             ("where are you located", "address")]
PEER_IDLE = 2  # the peer's warm idle processes (its default on this 2-core machine would be 2 too)
GAP = 0.1  # an answer heard this much longer than the agent's own best rendering of it had frames stalled or dropped


# ---- the agent's process tree ----
def tree(root):
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def snapshot(root):
    """CPU seconds (own + reaped children), PSS MiB, threads, processes of the tree."""
    cpu = pss = 0.0
    threads = procs = 0
    for p in tree(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{p}/smaps_rollup") as f:
                kb = next(int(l.split()[1]) for l in f if l.startswith("Pss:"))
            with open(f"/proc/{p}/status") as f:
                t = next(int(l.split()[1]) for l in f if l.startswith("Threads:"))
        except (OSError, StopIteration):
            continue
        cpu += sum(int(x) for x in fields[11:15]) / TICK
        pss += kb / 1024
        threads += t
        procs += 1
    return {"cpu": cpu, "pss": pss, "threads": threads, "procs": procs}


class Peak(threading.Thread):
    """Samples the tree every 0.5 s until stopped; keeps the largest figures."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root, self.stop, self.max = root, threading.Event(), {"pss": 0, "threads": 0, "procs": 0}
        self.pids = set(tree(root))  # every process of the tree seen in the window (the peer's jobs come and go)

    def run(self):
        while not self.stop.wait(0.5):
            self.pids.update(tree(self.root))
            s = snapshot(self.root)
            for k in self.max:
                self.max[k] = max(self.max[k], s[k])


# ---- the callers (in child processes) ----
def words(text):
    return " ".join(re.findall(r"[a-z']+", (text or "").lower()))


def voiced(pcm, rate, level=500):
    """Seconds from the first to the last sample louder than `level`."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > level)
    return float(loud[-1] - loud[0]) / rate if len(loud) else 0.0


async def call_group(agent_name, prefix, count, speech, expected, start, done, timeout):
    from lk_caller import Caller  # the SDK is imported here only: never in a forked parent
    from livekit import rtc

    class AnyAgentCaller(Caller):
        """The agent is whoever else is in the room: parley and LiveKit Agents name it differently."""

        def _learn(self, identity):
            if identity != self.identity and self.agent_identity == "?":
                self.agent_identity = identity

        def _on_track(self, track, publication, participant):
            self._learn(participant.identity)
            super()._on_track(track, publication, participant)

        def _on_text(self, reader, identity):
            self._learn(identity)
            super()._on_text(reader, identity)

    async def one(i):
        c = AnyAgentCaller(f"{prefix}-{i}-{uuid.uuid4().hex[:6]}", identity=f"bench-caller-{i}",
                           agent_identity="?", dispatch_agent=agent_name)
        r = {"room": c.room_name, "turns": [], "error": None}
        try:
            await c.join(timeout=timeout)
            await c.wait_for(lambda: c.agent_finals(), timeout, "the greeting")
        except Exception as e:  # noqa: BLE001 - reported as a failed call
            r["error"] = f"joining: {type(e).__name__}: {e}"[:300]
        return c, r

    async def talk(c, r, i):
        if r["error"]:
            return
        for q in range(len(speech)):
            k = (i + q) % len(speech)
            try:
                a = await c.ask(speech[k], timeout=timeout)
                r["turns"].append({"ok": words(a["answer"].text) == words(expected[k]), "latency": a["voice_after"],
                                   "said": a["answer"].text, "k": k, "span": voiced(a["audio"], 48000)})
            except Exception as e:  # noqa: BLE001
                r["turns"].append({"ok": False, "latency": None, "said": f"{type(e).__name__}: {e}"[:200]})
        try:
            stats = await c.room.get_rtc_stats()
            lost = conceal = silent = samples = packets = 0
            kinds = []
            for s in list(stats.subscriber_stats) + list(stats.publisher_stats):
                kinds.append(s.WhichOneof("stats"))
                if s.WhichOneof("stats") == "inbound_rtp":
                    x = s.inbound_rtp
                    kinds[-1] += ":" + x.stream.kind
                    lost += x.received.packets_lost
                    packets += x.received.packets_received
                    conceal += x.inbound.concealed_samples
                    silent += x.inbound.silent_concealed_samples
                    samples += x.inbound.total_samples_received
            r["rtp"] = {"lost": lost, "packets": packets, "audible_concealed": conceal - silent, "samples": samples,
                        "kinds": sorted(set(kinds))}
        except Exception as e:  # noqa: BLE001
            r["rtp"] = {"error": str(e)[:200]}

    joined = await asyncio.gather(*(one(i) for i in range(count)))
    await asyncio.to_thread(start.wait)
    await asyncio.gather(*(talk(c, r, i) for i, (c, r) in enumerate(joined)))
    await asyncio.to_thread(done.wait)
    for c, _ in joined:
        await c.hang_up()
    _ = rtc
    return [r for _, r in joined]


def group_main(args, queue):
    queue.put(asyncio.run(call_group(*args)))


# ---- one framework ----
def start_agent(cmd, log, env, registered, timeout, who, exited_name, **popen):
    """Starts an agent process logging to `log` and waits until its log says it `registered`."""
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tempfile.gettempdir(), **popen)
    wait_until(lambda: proc.poll() is not None or registered in open(log.name).read(), timeout,
               f"{who} to register (its log: {log.name})")
    if proc.poll() is not None:
        raise SystemExit(f"{exited_name} exited: {open(log.name).read()[-2000:]}")
    return proc


class Parley:
    name = "parley"

    def __init__(self, agent_name, second_pass, second_pass_decoders):
        # Info-level logs, as in production (the tests' Serve logs at debug).
        self.agent_name = agent_name
        self.log = tempfile.NamedTemporaryFile("w+", prefix="parley-serve-", suffix=".log", delete=False)
        env = dict(os.environ, LIVEKIT_URL=LIVEKIT_URL, LIVEKIT_API_KEY="devkey", LIVEKIT_API_SECRET="secret")
        env.pop("PARLEY_CONFIG", None)
        self.proc = start_agent(
            [PARLEY, "serve", "--log-format", "json", "--log-level", "info", "--set", "webhook.listen=127.0.0.1:8080",
             "--set", "calls.max_concurrent=100", "--set", "agent.dispatch=worker",
             "--set", f"agent.agent_name={agent_name}",
             "--set", f"providers.pocketsphinx.second_pass={'true' if second_pass else 'false'}",
             "--set", f"providers.pocketsphinx.second_pass_max_concurrent={second_pass_decoders}"],
            self.log, env, "agent worker registered", 60, "parley's worker", "parley serve")
        self.pid = self.proc.pid

    def ready(self):
        return True  # its decoders load in the background: settle() waits for the memory to stop growing

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Peer:
    name = "LiveKit Agents"

    def __init__(self, agent_name, python, executor, second_pass):
        self.agent_name = agent_name
        self.log = tempfile.NamedTemporaryFile("w+", prefix="peer-agent-", suffix=".log", delete=False)
        env = dict(os.environ, PEER_AGENT_NAME=agent_name, PEER_EXECUTOR=executor, PEER_IDLE_PROCESSES=str(PEER_IDLE),
                   PEER_SECOND_PASS="yes" if second_pass else "no",
                   LIVEKIT_URL=LIVEKIT_URL, LIVEKIT_API_KEY="devkey", LIVEKIT_API_SECRET="secret")
        here = os.path.dirname(os.path.abspath(__file__))
        self.proc = start_agent([python, os.path.join(here, "livekit_agents_peer.py"), "start"],
                                self.log, env, "registered worker", 120, "the LiveKit Agents worker",
                                "the LiveKit Agents worker", start_new_session=True)
        self.pid = self.proc.pid

    def ready(self):
        """Its idle processes have run their prewarm (silero, a decoder, flite)."""
        return open(self.log.name).read().count('"process initialized"') >= PEER_IDLE

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def settle(agent, seconds=300):
    """Waits until the agent is ready and its tree stops growing: parley loads its decoders on
    its workers after it registers, the peer warms its idle processes; on a loaded machine either
    can take a minute. Stable = PSS within 1 % and the same processes over 10 s."""
    history, t0 = [], time.monotonic()
    while time.monotonic() - t0 < seconds:
        s = snapshot(agent.pid)
        history = (history + [s])[-6:]
        if agent.ready() and len(history) == 6 and all(
                abs(h["pss"] - s["pss"]) <= 0.01 * s["pss"] and h["procs"] == s["procs"] for h in history):
            return s
        time.sleep(2)
    print(f"<!-- {agent.name}: not settled after {seconds} s; idle figures taken now -->", flush=True)
    return snapshot(agent.pid)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def perf_path(a, agent, n):
    return os.path.join(a.perf, f"{agent.name.split()[0].lower()}-{n}.data")


def run_n(agent, n, a, speech, expected, idle):
    ctx = mp.get_context("spawn")
    groups = [min(a.per_process, n - i) for i in range(0, n, a.per_process)]
    start, done = ctx.Barrier(len(groups) + 1, timeout=300), ctx.Barrier(len(groups) + 1, timeout=600)
    queue = ctx.Queue()
    prefix = f"peer-bench-{agent.name.split()[0].lower()}-{n}"
    procs = [ctx.Process(target=group_main, args=((agent.agent_name, f"{prefix}-g{g}", count, speech, expected,
                                                   start, done, a.timeout), queue))
             for g, count in enumerate(groups)]
    load0 = os.getloadavg()[0]
    for p in procs:
        p.start()
    start.wait()
    # --perf: the whole machine is sampled over the window, the agent's processes picked out after
    # (a peer job's process exists only while its call does).
    perf = subprocess.Popen(["perf", "record", "-q", "-F", "999", "-g", "-a", "-o", perf_path(a, agent, n)],
                            stdout=subprocess.DEVNULL) if a.perf else None
    s0, t0 = snapshot(agent.pid), time.monotonic()
    peak = Peak(agent.pid)
    peak.start()
    done.wait()
    s1, t1 = snapshot(agent.pid), time.monotonic()
    peak.stop.set()
    peak.join()
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
        pids = ",".join(str(x) for x in sorted(peak.pids))
        print(f"<!-- {agent.name} N={n} profile: perf report -i {perf_path(a, agent, n)} --pid {pids} "
              f"--no-children --sort dso -->", flush=True)
    results = [r for _ in procs for r in queue.get(timeout=120)]
    for p in procs:
        p.join(timeout=30)
    failed = [r for r in results if r["error"]]
    turns = [t for r in results for t in r["turns"]]
    asked = n * len(speech)
    correct = sum(1 for t in turns if t["ok"])
    lat = [t["latency"] for t in turns if t["ok"] and t["latency"] is not None]
    rtp = [r.get("rtp", {}) for r in results if not r["error"]]
    lost = sum(x.get("lost", 0) for x in rtp)
    conceal = max((x["audible_concealed"] / x["samples"] for x in rtp if x.get("samples")), default=0.0)
    spans = [(t["k"], t["span"]) for t in turns if t["ok"]]
    wall = t1 - t0
    row = {"framework": agent.name, "n": n, "failed": len(failed), "asked": asked, "correct": correct,
           "cpu_call": (s1["cpu"] - s0["cpu"]) / wall / n, "cpu_answer": (s1["cpu"] - s0["cpu"]) / correct if correct else float("nan"),
           "pss_idle": idle["pss"], "pss_peak": max(peak.max["pss"], s1["pss"]), "pss_call": (max(peak.max["pss"], s1["pss"]) - idle["pss"]) / n,
           "threads": f"{idle['threads']} → {peak.max['threads']}", "procs": f"{idle['procs']} → {peak.max['procs']}",
           "p50": pct(lat, 50), "p95": pct(lat, 95), "lost": lost, "conceal": conceal,
           "spans": spans, "latencies": [round(x, 3) for x in lat], "wall": wall, "load": f"{load0:.1f} → {os.getloadavg()[0]:.1f}"}
    print(f"<!-- {agent.name} N={n} latencies: {row['latencies']}; answers heard (s): {[(k, round(x, 3)) for k, x in spans]}; "
          f"inbound rtp per call: {rtp} -->", flush=True)
    for r in failed:
        print(f"<!-- {agent.name} N={n} failed call {r['room']}: {r['error']} -->", flush=True)
    for r in results:
        for t in r["turns"]:
            if not t["ok"]:
                print(f"<!-- {agent.name} N={n} wrong answer in {r['room']}: {t['said']!r} -->", flush=True)
    # The rooms go, so the agents' jobs end before the next N.
    async def delete_all():
        await asyncio.gather(*(delete_room(r["room"]) for r in results))
    asyncio.run(delete_all())
    return row


def fmt(r):
    ms = lambda v: "–" if v != v else f"{v * 1000:.0f} ms"  # noqa: E731
    per_answer = "–" if r["cpu_answer"] != r["cpu_answer"] else f"{r['cpu_answer']:.2f} s"
    return (f"| {r['framework']} | {r['n']} | {r['failed']} | {r['correct']}/{r['asked']} | "
            f"{r['cpu_call'] * 100:.1f} % | {per_answer} | {r['pss_idle']:.0f} MiB | "
            f"{r['pss_call']:.0f} MiB | {r['pss_peak']:.0f} MiB | {r['threads']} | {r['procs']} | {ms(r['p50'])} / {ms(r['p95'])} | "
            f"{r['gaps']} ({r['stretch'] * 1000:+.0f} ms) | {r['lost']} / {r['conceal'] * 100:.1f} % | {r['wall']:.0f} s | {r['load']} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", default="1,5,10,20", help="comma-separated numbers of simultaneous calls")
    p.add_argument("--frameworks", default="parley,peer")
    p.add_argument("--per-process", type=int, default=5, help="callers per caller process")
    p.add_argument("--timeout", type=float, default=60, help="seconds to wait for each step of a call")
    p.add_argument("--peer-python", default=os.path.expanduser("~/.cache/parley/peer-venv/bin/python"))
    p.add_argument("--peer-executor", default="process", choices=["process", "thread"])
    p.add_argument("--json", help="also write every row here")
    p.add_argument("--no-second-pass", action="store_true", help="both recognisers without pocketsphinx's second pass "
                   "(parley: providers.pocketsphinx.second_pass=false; the peer: fwdflat=False)")
    p.add_argument("--second-pass-decoders", type=int, default=0, help="how many of parley's decoders make the second "
                   "pass (providers.pocketsphinx.second_pass_max_concurrent; default 0: every one, as the peer's do)")
    p.add_argument("--perf", metavar="DIR", help="also profile each window with perf (whole machine; the "
                   "agent's processes are named in the printed report command)")
    a = p.parse_args()
    if a.perf:
        os.makedirs(a.perf, exist_ok=True)
    work = tempfile.mkdtemp(prefix="peer-bench-")
    speech = [synthesise(q, os.path.join(work, f"q{i}.wav")) for i, (q, _) in enumerate(QUESTIONS)]
    expected = [scripted_answer(intent) for _, intent in QUESTIONS]
    ns = [int(x) for x in a.calls.split(",")]
    rows = []
    header = ("| framework | calls | failed calls | answers correct | CPU per call | CPU per answer | idle PSS | "
          "PSS per call | PSS at peak (total) | threads idle → peak | processes idle → peak | caller-clock latency p50 / p95 | "
          "answers with gaps (worst) | packets lost / concealment (worst call) | window | load avg |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    second_pass = not a.no_second_pass
    for fw in a.frameworks.split(","):
        agent = (Parley("bench-parley", second_pass, a.second_pass_decoders) if fw == "parley"
                 else Peer("bench-peer", a.peer_python, a.peer_executor, second_pass))
        try:
            idle = settle(agent)
            for n in ns:
                row = run_n(agent, n, a, speech, expected, idle)
                rows.append(row)
                print(f"<!-- {fw} N={n} done: {row['correct']}/{row['asked']} right, CPU/call "
                      f"{row['cpu_call'] * 100:.1f} %, PSS/call {row['pss_call']:.0f} MiB -->", flush=True)
                wait_until(lambda: not [r for r in asyncio.run(list_rooms()) if r.startswith("peer-bench-")], 60,
                           "the benchmark's rooms to close")
                time.sleep(3)
        finally:
            agent.stop()
    # An answer's own best rendering per framework (parley cuts a long first sentence at its comma,
    # LiveKit Agents does not, so their clean lengths differ by some 0.1-0.3 s).
    best = {}
    for r in rows:
        for k, x in r["spans"]:
            best[(r["framework"], k)] = min(x, best.get((r["framework"], k), x))
    for r in rows:
        over = [x - best[(r["framework"], k)] for k, x in r["spans"]]
        r["gaps"], r["stretch"] = sum(1 for x in over if x > GAP), max(over, default=0.0)
        r["drops"] = r["lost"] > 0 or r["gaps"] > 0
    print("\n" + header, flush=True)
    for r in rows:
        print(fmt(r))
    by = {(r["framework"], r["n"]): r for r in rows}
    print("\n| calls | CPU per call parley / peer | PSS per call parley / peer | idle PSS parley / peer | "
          "PSS at peak parley / peer | p50 parley / peer | answers correct parley, peer |")
    print("|---|---|---|---|---|---|---|")
    for n in ns:
        x, y = by.get(("parley", n)), by.get(("LiveKit Agents", n))
        if x and y:
            ratio = lambda k: f"{x[k] / y[k]:.2f}" if y[k] and x[k] == x[k] and y[k] == y[k] else "–"  # noqa: E731
            print(f"| {n} | {ratio('cpu_call')} | {ratio('pss_call')} | {ratio('pss_idle')} | {ratio('pss_peak')} | {ratio('p50')} | "
                  f"{x['correct']}/{x['asked']}, {y['correct']}/{y['asked']} |")
    for fw in ("parley", "LiveKit Agents"):
        drop = next((r["n"] for r in rows if r["framework"] == fw and r["drops"]), None)
        allright = [r["n"] for r in rows if r["framework"] == fw and r["correct"] == r["asked"]]
        if any(r["framework"] == fw for r in rows):
            print(f"\n{fw}: frames start to drop at N = {drop if drop else f'none up to {max(ns)}'}; "
                  f"every answer right at N = {allright or 'none'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
