"""Premature replies: does a shorter endpointing wait buy its speed with interruptions?

A WebRTC caller (the official LiveKit Python SDK, scripts/lk_caller.py) says spoken questions
with a pause in the middle — the two halves synthesised by flite (`parley tts`), their own
silences cut, and 0.3–0.9 s of digital silence spliced between them ("what are your … opening
hours") — to `parley serve` with the embedded engines (WebRTC VAD → pocketsphinx → the script →
flite). A reply is premature when parley took the caller's turn before the caller's last frame of
the question went out: the caller's final transcript (which parley publishes the moment it takes
the turn) arrived while the caller was still saying the question. (Counting the agent's audio
instead would blame a question for a late answer to the one before it on a loaded machine.)

Each configuration gets a fresh `parley serve` and the same utterances in the same order:
  reference  the fixed 0.5 s wait (voice.endpointing.min_delay = delay = 500ms, no preemptive
             generation), or with --reference-bin an older binary with its own defaults
  adaptive   the configured defaults, changed by --set (e.g. voice.endpointing.min_delay=250ms:
             the defaults leave the shorter wait off)
Printed per configuration: premature replies (count and rate), and, on the questions said
without a pause, the caller-clock latency (last frame out → the answer audible) p50 / p95; then
adaptive ÷ reference for each. Run by bench/premature/run.sh.
"""
import argparse
import asyncio
import os
import tempfile
import time
import uuid

import numpy as np

import parley_speech
import serve_support
from lk_caller import Caller
from serve_support import Serve, delete_room, synthesise, wait_until

# (first half, second half): the pause falls where a caller thinks or breathes. Some first halves
# look unfinished ("… your"), some are a finished question on their own (a premature reply there
# is what a shorter wait risks), some say nothing either way.
SPLIT = [("what are your", "opening hours"),
         ("I would like to", "book a table"),
         ("how much does it cost", "for two people"),
         ("where are you located", "in the city"),
         ("can I talk to", "a person"),
         ("what time", "do you close on friday"),
         ("my name is john", "and I need help"),
         ("hello", "can you tell me your address"),
         ("is it expensive", "to visit you"),
         ("I need", "directions to your office")]
WHOLE = ["what are your opening hours", "how much does it cost", "where are you located", "can I talk to a person"]
AUDIBLE = 500
RATE = 16000


def trim(pcm):
    loud = np.nonzero(np.abs(pcm.astype(np.int32)) > AUDIBLE)[0]
    return pcm[loud[0]:loud[-1] + 1] if len(loud) else pcm


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


async def quiet(caller, since_chunk, finals_before, seconds=1.5, timeout=20):
    """Waits until parley has taken the caller's turn and the agent has been silent for `seconds`
    (its answers to the utterance done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        loud = [caller.agent_audio_times[i] for i in range(since_chunk, len(caller.agent_audio))
                if np.abs(caller.agent_audio[i].astype(np.int32)).max() > AUDIBLE]
        taken = len(caller.caller_finals()) > finals_before
        if taken and loud and time.monotonic() - loud[-1] > seconds:
            return
        await asyncio.sleep(0.1)


async def run_config(name, args, utterances, whole):
    serve = Serve("--set", "webhook.listen=127.0.0.1:8080", "--set", 'calls.room_patterns=["bench-premature-*"]',
                  "--set", "calls.silence_timeout=10m", *args)
    out = {"premature": 0, "said": 0, "latency": [], "details": []}
    try:
        wait_until(lambda: serve.get("/readyz")[0] == 200, 15, "/readyz 200")
        room = "bench-premature-" + uuid.uuid4().hex[:8]
        caller = Caller(room, identity="bench-caller")
        await caller.join()
        try:
            await caller.wait_for(lambda: caller.agent_finals(), 30, "the greeting")
            await asyncio.sleep(3)
            for label, pcm in utterances:
                chunk, finals = len(caller.agent_audio), len(caller.caller_finals())
                t0 = time.monotonic()
                done = await caller.say(pcm)
                await asyncio.sleep(0.3)  # a final sent just before `done` is still on its way
                early = any(t0 < t.started <= done for t in caller.caller_finals()[finals:])
                out["said"] += 1
                out["premature"] += early
                out["details"].append((label, early))
                await quiet(caller, chunk, finals)
            for q in whole:
                chunk, finals = len(caller.agent_audio), len(caller.caller_finals())
                r = await caller.ask(q, tail=0.3)
                if r["voice_after"] is not None:
                    out["latency"].append(r["voice_after"])
                await quiet(caller, chunk, finals)
        finally:
            await caller.hang_up()
            await delete_room(room)
    finally:
        serve.stop()
    print(f"{name}: {out['premature']} of {out['said']} replies premature; "
          + ", ".join(l for l, e in out["details"] if e), flush=True)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pauses", default="0.3,0.6,0.9", help="pauses spliced into each question (seconds)")
    p.add_argument("--reference-bin", help="an older parley binary as the reference (its own defaults)")
    p.add_argument("--repeat", type=int, default=2, help="the questions without a pause, how many rounds")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a configuration value for the adaptive run (e.g. voice.endpointing.min_delay=400ms)")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="premature-bench-")
    pauses = [float(x) for x in a.pauses.split(",")]
    utterances = []
    for i, (first, second) in enumerate(SPLIT):
        one = trim(synthesise(first, os.path.join(work, f"a{i}.wav")))
        two = trim(synthesise(second, os.path.join(work, f"b{i}.wav")))
        for pause in pauses:
            gap = np.zeros(int(pause * RATE), dtype=np.int16)
            utterances.append((f"{first} … {pause:.1f} s … {second}", np.concatenate([one, gap, two])))
    whole = [trim(synthesise(q, os.path.join(work, f"w{i}.wav"))) for i, q in enumerate(WHOLE)] * a.repeat
    load0 = os.getloadavg()[0]
    results = {}
    binary = serve_support.PARLEY
    if a.reference_bin:
        serve_support.PARLEY = parley_speech.PARLEY = os.path.realpath(a.reference_bin)
        results["reference"] = asyncio.run(run_config("reference (" + a.reference_bin + ")", [], utterances, whole))
        serve_support.PARLEY = parley_speech.PARLEY = binary
    else:
        fixed = ["--set", "voice.endpointing.min_delay=500ms", "--set", "voice.preemptive_generation=false"]
        results["reference"] = asyncio.run(run_config("reference (fixed 0.5 s)", fixed, utterances, whole))
    tuned = [arg for kv in a.set for arg in ("--set", kv)]
    results["adaptive"] = asyncio.run(run_config("adaptive (" + (", ".join(a.set) or "defaults") + ")", tuned,
                                                 utterances, whole))
    print(f"\n{len(utterances)} questions with a pause ({a.pauses} s), {len(whole)} without; "
          f"load average {load0:.1f} → {os.getloadavg()[0]:.1f}\n")
    print("| | reference | adaptive | adaptive ÷ reference |")
    print("|---|---|---|---|")
    ref, ada = results["reference"], results["adaptive"]
    rr, ar = ref["premature"] / ref["said"], ada["premature"] / ada["said"]
    ratio = f"×{ar / rr:.2f}" if rr else ("×1.00" if ar == 0 else "reference had none")
    print(f"| premature replies | {ref['premature']} / {ref['said']} ({rr:.0%}) | {ada['premature']} / {ada['said']} "
          f"({ar:.0%}) | {ratio} |")
    for q in (50, 95):
        r, x = pct(ref["latency"], q), pct(ada["latency"], q)
        print(f"| caller-clock latency p{q} (no pause) | {r * 1000:.0f} ms | {x * 1000:.0f} ms | ×{x / r:.2f} |")


if __name__ == "__main__":
    main()
