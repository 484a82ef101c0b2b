"""The latency waterfall of a call with the embedded engines (WebRTC VAD, pocketsphinx, the script,
flite) and a WebRTC caller (--caller python: the official LiveKit Python SDK, scripts/lk_caller.py;
--caller cpp: bench_caller, parley's own livekit::Room; waterfall_callers.py), from both sides of
the call, on one machine so that both clocks agree. Run by bench/waterfall/run.sh.

Per turn:
  caller → parley   the question's last voiced frame handed to the caller's SDK (python) or taken
                    by the track for its encoder (cpp) → parley's last speech
                    (the caller's capture and send, livekit-server, the VAD's hangover), less:
  jitter buffer     parley's receive jitter buffer (the turn's receive_buffer); together from
                    the caller's clock and the turn's first_frame_unix - end_to_end
  vad … pacing      parley's own hops, from its `turn finished` record (voice/turn_waterfall.h)
  flite's lead-in   the answer's first frame is flite's leading quiet: how long flite's audio
                    of the answer stays under the audible level (measured on `parley tts`)
  parley → caller   the rest, to the answer's first audible chunk at the caller (parley's send
                    queue, livekit-server, the caller's jitter buffer and decoder)
  total             the question's last frame → the answer audible: the caller-clock latency;
                    the hops add up to it.
Per call, the time to greeting: parley's hops (webhook … first_frame, from its `greeting audible`
record) and, on the caller's clock, its connect → the greeting audible.

Calls run one after another (no load but this one call): the figures are the floor; with
--simultaneous all --calls run at the same time (bench_caller: from one process); --stagger S starts
each S seconds after the one before, so that the callers do not all speak in the same instant.
"""
import argparse
import asyncio
import os
import shutil
import tempfile
import uuid

import numpy as np

import waterfall_callers
from serve_support import Serve, delete_room, synthesise, wait_until

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

QUESTIONS = ["what are your opening hours", "how much does it cost", "where are you located",
             "can I talk to a person"]
TURN_HOPS = ["vad", "stt", "endpointing", "llm", "first_sentence", "tts", "pacing"]
GREETING_HOPS = ["admission", "join", "subscribe", "synthesis", "first_frame"]
AUDIBLE = 500  # the level (of 32767) the caller counts as the answer's first audible sound


def trim_silence(pcm):
    """The question without flite's trailing silence: its end is the last voiced sample."""
    loud = np.nonzero(np.abs(pcm.astype(np.int32)) > AUDIBLE)[0]
    return pcm[:loud[-1] + 1] if len(loud) else pcm


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


LEAD_IN = {}


def lead_in(text, workdir):
    """Seconds of flite's audio of `text` before it is first audible (its leading quiet)."""
    if text not in LEAD_IN:
        pcm = synthesise(text, os.path.join(workdir, f"answer{len(LEAD_IN)}.wav"), rate=48000)
        loud = np.nonzero(np.abs(pcm.astype(np.int32)) > AUDIBLE)[0]
        LEAD_IN[text] = (loud[0] if len(loud) else 0) / 48000
    return LEAD_IN[text]


def turn_records(serve, room):
    return [l["metrics"] for l in serve.lines() if l.get("msg") == "turn finished" and l.get("room") == room
            and "first_frame_unix" in l.get("metrics", {})]


def turn_hops(serve, call, turn, workdir):
    """A turn's hops: the caller's clock (its done and heard) against parley's turn record."""
    records = wait_until(lambda: len(turn_records(serve, call["room"])) > turn["question"]
                         and turn_records(serve, call["room"]), 5, "parley's turn record")
    t = records[turn["question"]]
    speech_end = t["first_frame_unix"] - t["end_to_end"]
    jitter = t.get("receive_buffer", 0.0)
    hops = {"caller → parley": speech_end - turn["done_unix"] - jitter, "jitter buffer": jitter}
    hops.update({h: t["waterfall"].get(h, 0.0) for h in TURN_HOPS})
    # What parley cut of it before the first frame (lead_in_trimmer.h) was never sent.
    hops["flite's lead-in"] = max(0.0, lead_in(turn["answer"].strip(), workdir) - t.get("lead_in_trimmed", 0.0))
    hops["parley → caller"] = turn["heard_unix"] - t["first_frame_unix"] - hops["flite's lead-in"]
    hops["total"] = turn["heard_unix"] - turn["done_unix"]
    hops["parley e2e"] = t["end_to_end"]
    parts = sum(hops[h] for h in ["caller → parley", "jitter buffer", *TURN_HOPS, "flite's lead-in", "parley → caller"])
    assert abs(parts - hops["total"]) < 1e-3, hops  # the hops add up to the caller's latency
    return hops


def greeting_hops(serve, call, workdir):
    """The time to greeting: parley's `greeting audible` record and, on the caller's clock, its
    connect → the greeting audible."""
    room = call["room"]
    record = wait_until(lambda: next((l for l in serve.lines() if l.get("msg") == "greeting audible"
                                      and l.get("room") == room), None), 5, "parley's greeting record")
    greeting = dict(record["greeting"]["hops"])
    greeting["parley total"] = record["greeting"]["total"]
    heard = call.get("greeting_heard_unix")
    if heard is not None:
        first_frame = record["greeting"]["first_frame_unix"]
        greeting["caller: connect → greeting audible"] = heard - call["connect_unix"]
        # The caller's connect (signal, ICE, DTLS, publishing) up to livekit-server's webhook
        # reaching parley, and the greeting's trip back after its lead-in.
        greeting["caller connect → webhook"] = first_frame - record["greeting"]["total"] - call["connect_unix"]
        greeting["flite's lead-in"] = max(0.0, lead_in(call["greeting"].strip(), workdir)
                                          - record["greeting"].get("lead_in_trimmed", 0.0))
        greeting["parley → caller"] = heard - first_frame - greeting["flite's lead-in"]
    return greeting


def table(title, rows, order):
    print(f"\n{title}\n")
    print("| hop | p50 | p95 | max |")
    print("|---|---|---|---|")
    for hop in order:
        v = [r[hop] for r in rows if r.get(hop) is not None]
        if v:
            print(f"| {hop} | {pct(v, 50) * 1000:.0f} ms | {pct(v, 95) * 1000:.0f} ms | {max(v) * 1000:.0f} ms |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=3, help="calls, one after another unless --simultaneous")
    p.add_argument("--questions", type=int, default=4, help="questions per call")
    p.add_argument("--caller", choices=["python", "cpp"], default="python",
                   help="python: the LiveKit Python SDK (scripts/lk_caller.py); cpp: bench_caller")
    p.add_argument("--caller-bin", default=os.path.join(REPO, "build/bench/waterfall/bench_caller"),
                   help="bench_caller for --caller cpp (default: build/bench/waterfall/bench_caller)")
    p.add_argument("--simultaneous", action="store_true", help="all --calls at the same time")
    p.add_argument("--stagger", type=float, default=0.0, metavar="S",
                   help="with --simultaneous: each call starts S seconds after the one before (0: all at "
                        "once, so every caller speaks in lockstep with the others: the worst case)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a configuration value for parley (e.g. voice.early_final=0s)")
    a = p.parse_args()
    if a.caller == "cpp" and not os.access(a.caller_bin, os.X_OK):
        p.error(f"--caller-bin {a.caller_bin} is not an executable: build it (ninja -C build bench_caller) "
                "or give its path")
    work = tempfile.mkdtemp(prefix="waterfall-bench-")
    wavs = [os.path.join(work, f"q{i}.wav") for i in range(len(QUESTIONS))]
    speech = [trim_silence(synthesise(q, wav)) for q, wav in zip(QUESTIONS, wavs)]
    serve = Serve("--set", "webhook.listen=127.0.0.1:8080", "--set", 'calls.room_patterns=["bench-waterfall-*"]',
                  *[arg for kv in a.set for arg in ("--set", kv)])
    rooms = ["bench-waterfall-" + uuid.uuid4().hex[:8] for _ in range(a.calls)]
    turns, greetings = [], []
    load0 = os.getloadavg()[0]
    try:
        wait_until(lambda: serve.get("/readyz")[0] == 200, 15, "/readyz 200")
        for group in [rooms] if a.simultaneous else [[room] for room in rooms]:
            if a.caller == "cpp":
                calls = waterfall_callers.cpp_calls(a.caller_bin, group, a.questions, wavs, a.stagger)
            else:
                calls = waterfall_callers.python_calls(group, a.questions, speech, a.stagger)
            for call in calls:
                turns += [turn_hops(serve, call, t, work) for t in call["turns"] if t["heard_unix"] is not None]
                greetings.append(greeting_hops(serve, call, work))
                asyncio.run(delete_room(call["room"]))
            wait_until(lambda: serve.metric("parley_calls_active") == 0, 30, "the calls ended")
        paused = sum(1 for l in serve.lines() if l.get("msg", "").startswith("the caller's voice paused"))
        went_on = sum(1 for l in serve.lines() if l.get("msg", "").startswith("the caller went on after a pause"))
    finally:
        serve.stop()
        shutil.rmtree(work, ignore_errors=True)  # the questions' and answers' WAVs
    caller = "LiveKit Python SDK" if a.caller == "python" else "parley's livekit::Room, bench_caller"
    print(f"the recogniser's early final: started {paused} times, dropped {went_on} (the caller went on)")
    print(f"embedded engines, WebRTC caller ({caller}); {a.calls} calls "
          f"{('at the same time' + (f', each {a.stagger:g} s after the one before' if a.stagger else ' (lockstep)')) if a.simultaneous else 'one after another'}, "
          f"{len(turns)} turns; load average {load0:.1f} → {os.getloadavg()[0]:.1f}")
    table("Turn: the caller's last voiced frame → the answer audible at the caller", turns,
          ["caller → parley", "jitter buffer", *TURN_HOPS, "flite's lead-in", "parley → caller", "total", "parley e2e"])
    table("Time to greeting: the caller's connect → the greeting audible at the caller", greetings,
          ["caller connect → webhook", *GREETING_HOPS, "parley total", "flite's lead-in", "parley → caller",
           "caller: connect → greeting audible"])


if __name__ == "__main__":
    main()
