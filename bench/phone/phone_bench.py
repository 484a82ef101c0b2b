"""Phone calls into parley, measured at the phone: N real SIP phones (baresip, scripts/sip_phone.py)
call LiveKit's SIP bridge at once and `parley serve` (embedded defaults) answers each. Run by
bench/phone/run.sh on a stack of its own; prints one markdown row per N.

Per call, on the phone's clock (monotonic; arrival times from the growing recording, ±10 ms):
  - INVITE -> 200 OK (baresip's CALL_ESTABLISHED);
  - INVITE -> the greeting's first audible frame at the phone;
  - per question: the end of the question leaving the phone -> the answer's first audible frame
    at the phone (turn latency over the whole phone path). Its reference is the same turn as
    parley measured it inside (`turn finished` end_to_end: the caller's last speech as the agent
    heard it -> the agent's first frame out); the difference is the two trips through the bridge,
    livekit-server and the jitter buffers.
CPU per call (share of one core), of `parley serve` and of livekit-sip side by side, over the
window in which every call is connected and asking its questions; parley / bridge is the ratio.
After each row, the waterfall of the same calls: parley's hops of every turn (`turn finished` →
waterfall) and of every greeting (`greeting audible`), p50, beside the phone's totals; "phone path"
is the phone's total minus parley's end to end (both ways through the bridge, livekit-server and
the jitter buffers, and flite's leading silence).
"""
import argparse
import os
import tempfile
import threading
import time

from serve_support import Serve, synthesise, wait_until
from sip_support import WORDINGS, Line, PhoneCall, delete_rooms

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK   # utime + stime


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def run(n, questions, serve, line, bridge_pid, speech, codec):
    start_line = len(serve.lines())
    cpu = {}
    greeted = threading.Barrier(n, timeout=120, action=lambda: cpu.update(
        t0=time.monotonic(), parley0=cpu_seconds(serve.proc.pid), bridge0=cpu_seconds(bridge_pid)))
    done = threading.Barrier(n, timeout=300, action=lambda: cpu.update(
        t1=time.monotonic(), parley1=cpu_seconds(serve.proc.pid), bridge1=cpu_seconds(bridge_pid)))

    def one(i):
        call = PhoneCall(line, caller=f"+1555010{i:02d}", codecs=(codec,), observe=False)
        try:
            setup = call.dial(timeout=120)
            call.wait_greeting(timeout=60)
            greeting = call.greeting_heard - call.invited
            greeted.wait()
            turns = []
            for q in range(questions):
                r = call.ask(speech[(i + q) % len(speech)], timeout=60)
                turns.append(r["latency"])
            done.wait()
            call.hangup()
            return setup, greeting, turns
        except Exception as e:  # noqa: BLE001 - reported as a failed call
            greeted.abort()
            done.abort()
            return f"{type(e).__name__}: {e}"
        finally:
            call.close()

    results = [None] * n
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, one(i))) for i in range(n)]
    load0 = os.getloadavg()[0]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failed = [r for r in results if isinstance(r, str)]
    ok = [r for r in results if not isinstance(r, str)]
    for f in failed:
        print(f"<!-- failed call: {f[:300]} -->")
    setups = [r[0] for r in ok]
    greetings = [r[1] for r in ok]
    turns = [t for r in ok for t in r[2] if t is not None]
    e2e = [l["metrics"]["end_to_end"] for l in serve.lines()[start_line:]
           if l.get("msg") == "turn finished" and "end_to_end" in l.get("metrics", {})]
    wall = cpu.get("t1", 0) - cpu.get("t0", 0)
    if wall > 0:
        parley = (cpu["parley1"] - cpu["parley0"]) / wall / n
        bridge = (cpu["bridge1"] - cpu["bridge0"]) / wall / n
    else:
        parley = bridge = float("nan")
    ms = lambda v: f"{v * 1000:.0f} ms"  # noqa: E731
    print(f"| {n} | {codec} | {len(failed)} | {ms(pct(setups, 50))} / {ms(pct(setups, 95))} | "
          f"{ms(pct(greetings, 50))} / {ms(pct(greetings, 95))} | {len(turns)} | "
          f"{ms(pct(turns, 50))} / {ms(pct(turns, 95))} | {ms(pct(e2e, 50))} / {ms(pct(e2e, 95))} | "
          f"{ms(pct(turns, 50) - pct(e2e, 50))} | {parley * 100:.1f} % | {bridge * 100:.1f} % | "
          f"{parley / bridge:.2f} | {wall:.0f} s | {load0:.1f} → {os.getloadavg()[0]:.1f} |", flush=True)
    return waterfall_rows(n, serve.lines()[start_line:], turns, e2e, greetings)


TURN_HOPS = ["vad", "stt", "endpointing", "llm", "first_sentence", "tts", "pacing"]
GREETING_HOPS = ["admission", "join", "subscribe", "synthesis", "first_frame"]


def waterfall_rows(n, lines, turns, e2e, greetings):
    """parley's hops (p50) of this row's turns and greetings, beside the phone's totals."""
    hops = [l["metrics"]["waterfall"] for l in lines if l.get("msg") == "turn finished" and "waterfall" in l.get("metrics", {})]
    greeted = [l["greeting"] for l in lines if l.get("msg") == "greeting audible"]
    ms = lambda v: f"{v * 1000:.0f} ms"  # noqa: E731
    turn = [ms(pct([h.get(k, 0.0) for h in hops], 50)) for k in TURN_HOPS]
    greeting = [ms(pct([g["hops"].get(k, 0.0) for g in greeted], 50)) for k in GREETING_HOPS] + ["", ""]
    return (f"| {n} | turn | " + " | ".join(turn) + f" | {ms(pct(e2e, 50))} | {ms(pct(turns, 50) - pct(e2e, 50))} | "
            f"{ms(pct(turns, 50))} |",
            f"| {n} | greeting | " + " | ".join(greeting) + f" | {ms(pct([g['total'] for g in greeted], 50))} | "
            f"{ms(pct(greetings, 50) - pct([g['total'] for g in greeted], 50))} | {ms(pct(greetings, 50))} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", default="1,10", help="comma-separated numbers of simultaneous calls")
    p.add_argument("--questions", type=int, default=3, help="questions per call")
    p.add_argument("--codec", default="G722")
    p.add_argument("--bridge-pid", type=int, required=True)
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="phone-bench-")
    speech = [synthesise(q, os.path.join(work, f"q{i}.wav")) for i, (q, _) in enumerate(WORDINGS)]
    serve = Serve("--set", "webhook.listen=127.0.0.1:8080")
    try:
        wait_until(lambda: serve.get("/readyz")[0] == 200, 15, "/readyz 200")
        with Line("+15550199", "bench-phone") as line:
            print("| calls | codec | failed | INVITE → 200 OK p50 / p95 | INVITE → greeting audible p50 / p95 | "
                  "turns | turn at the phone p50 / p95 | parley's own e2e p50 / p95 (reference) | "
                  "phone path − e2e (p50) | parley CPU/call | livekit-sip CPU/call | parley / bridge | "
                  "window | load avg |")
            print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
            waterfall = []
            for n in [int(x) for x in a.calls.split(",")]:
                waterfall += run(n, a.questions, serve, line, a.bridge_pid, speech, a.codec)
                wait_until(lambda: serve.metric("parley_calls_active") == 0, 30, "every call ended")
            delete_rooms("bench-phone_")
            print("\nThe waterfall, p50 (turn: parley's vad, stt, endpointing, llm, first_sentence, tts, pacing; "
                  "greeting: admission, join, subscribe, synthesis, first_frame):\n")
            print("| calls | what | hop 1 | hop 2 | hop 3 | hop 4 | hop 5 | hop 6 | hop 7 | parley's total | "
                  "phone path | at the phone |")
            print("|---|---|---|---|---|---|---|---|---|---|---|---|")
            for row in waterfall:
                print(row)
    finally:
        serve.stop()


if __name__ == "__main__":
    main()
