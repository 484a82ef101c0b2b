"""The latency waterfall of a call with the embedded engines (WebRTC VAD, pocketsphinx, the script,
flite) and a WebRTC caller (the official LiveKit Python SDK, scripts/lk_caller.py), from both
sides of the call, on one machine so that both clocks agree. Run by bench/waterfall/run.sh.

Per turn:
  caller → parley   the question's last frame handed to the caller's SDK → parley's last speech
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

Calls run one after another (no load but this one call): the figures are the floor.
"""
import argparse
import asyncio
import os
import tempfile
import time
import uuid

import numpy as np

from lk_caller import Caller
from serve_support import Serve, delete_room, synthesise, wait_until

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


async def one_call(serve, questions, speech, workdir):
    room = "bench-waterfall-" + uuid.uuid4().hex[:8]
    to_unix = time.time() - time.monotonic()
    caller = Caller(room, identity="bench-caller")
    connect = time.monotonic()
    await caller.join()
    turns, greeting = [], {}
    try:
        finals = await caller.wait_for(lambda: caller.agent_finals(), 30, "the greeting")
        voice = caller.first_voice_after(0, AUDIBLE)
        if voice is not None:
            greeting["caller: connect → greeting audible"] = voice - connect
            greeting["flite's lead-in"] = lead_in(finals[0].text.strip(), workdir)
            greeting_heard = voice + to_unix
        for q in range(questions):
            pcm = speech[q % len(speech)]
            r = await caller.ask(pcm, tail=0.5)
            if r["voice_after"] is None:
                continue
            records = wait_until(lambda: len(turn_records(serve, room)) > q and turn_records(serve, room), 5,
                                 "parley's turn record")
            t = records[q]
            speech_end = t["first_frame_unix"] - t["end_to_end"]
            done_unix = r["done_at"] + to_unix
            heard_unix = done_unix + r["voice_after"]
            jitter = t.get("receive_buffer", 0.0)
            hops = {"caller → parley": speech_end - done_unix - jitter, "jitter buffer": jitter}
            hops.update({h: t["waterfall"].get(h, 0.0) for h in TURN_HOPS})
            # What parley cut of it before the first frame (lead_in_trimmer.h) was never sent.
            hops["flite's lead-in"] = max(0.0, lead_in(r["answer"].text.strip(), workdir) - t.get("lead_in_trimmed", 0.0))
            hops["parley → caller"] = heard_unix - t["first_frame_unix"] - hops["flite's lead-in"]
            hops["total"] = r["voice_after"]
            hops["parley e2e"] = t["end_to_end"]
            turns.append(hops)
    finally:
        await caller.hang_up()
    record = wait_until(lambda: next((l for l in serve.lines() if l.get("msg") == "greeting audible"
                                      and l.get("room") == room), None), 5, "parley's greeting record")
    greeting.update(record["greeting"]["hops"])
    greeting["parley total"] = record["greeting"]["total"]
    if "flite's lead-in" in greeting:
        first_frame = record["greeting"]["first_frame_unix"]
        # The caller's connect (signal, ICE, DTLS, publishing) up to livekit-server's webhook
        # reaching parley, and the greeting's trip back after its lead-in.
        greeting["caller connect → webhook"] = first_frame - record["greeting"]["total"] - (connect + to_unix)
        greeting["flite's lead-in"] = max(0.0, greeting["flite's lead-in"] - record["greeting"].get("lead_in_trimmed", 0.0))
        greeting["parley → caller"] = greeting_heard - first_frame - greeting["flite's lead-in"]
    await delete_room(room)
    return turns, greeting


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
    p.add_argument("--calls", type=int, default=3, help="calls, one after another")
    p.add_argument("--questions", type=int, default=4, help="questions per call")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a configuration value for parley (e.g. voice.early_final=0s)")
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="waterfall-bench-")
    speech = [trim_silence(synthesise(q, os.path.join(work, f"q{i}.wav"))) for i, q in enumerate(QUESTIONS)]
    serve = Serve("--set", "webhook.listen=127.0.0.1:8080", "--set", 'calls.room_patterns=["bench-waterfall-*"]',
                  *[arg for kv in a.set for arg in ("--set", kv)])
    turns, greetings = [], []
    load0 = os.getloadavg()[0]
    try:
        wait_until(lambda: serve.get("/readyz")[0] == 200, 15, "/readyz 200")
        for _ in range(a.calls):
            t, g = asyncio.run(one_call(serve, a.questions, speech, work))
            turns += t
            greetings.append(g)
            wait_until(lambda: serve.metric("parley_calls_active") == 0, 30, "the call ended")
        paused = sum(1 for l in serve.lines() if l.get("msg", "").startswith("the caller's voice paused"))
        went_on = sum(1 for l in serve.lines() if l.get("msg", "").startswith("the caller went on after a pause"))
    finally:
        serve.stop()
    print(f"the recogniser's early final: started {paused} times, dropped {went_on} (the caller went on)")
    print(f"embedded engines, WebRTC caller (LiveKit Python SDK); {a.calls} calls one after another, "
          f"{len(turns)} turns; load average {load0:.1f} → {os.getloadavg()[0]:.1f}")
    for t in turns:
        parts = sum(t[h] for h in ["caller → parley", "jitter buffer", *TURN_HOPS, "flite's lead-in", "parley → caller"])
        assert abs(parts - t["total"]) < 1e-3, t  # the hops add up to the caller's latency
    table("Turn: the caller's last voiced frame → the answer audible at the caller", turns,
          ["caller → parley", "jitter buffer", *TURN_HOPS, "flite's lead-in", "parley → caller", "total", "parley e2e"])
    table("Time to greeting: the caller's connect → the greeting audible at the caller", greetings,
          ["caller connect → webhook", *GREETING_HOPS, "parley total", "flite's lead-in", "parley → caller",
           "caller: connect → greeting audible"])


if __name__ == "__main__":
    main()
